using System.Runtime.InteropServices;

namespace Reverb.Interop;

/// <summary>
/// Every libc call reverb makes that .NET does not expose, declared once: fork and reaping, signal
/// masks and signalfd, shared memory, poll/accept/recv/send on raw descriptors, Unix socket pairs
/// and descriptor passing (SCM_RIGHTS), close-on-exec, clocks. Linux x86-64/arm64 constants and layouts.
/// </summary>
/// <remarks>
/// Hand-written because no library offers fork() or SCM_RIGHTS to .NET: the runtime's Process class
/// only forks to exec, and its sockets cannot pass descriptors. Every import is blittable (pointers
/// and integers), so under NativeAOT (DirectPInvoke) and after a warm-up under the JIT a call
/// allocates nothing and takes no runtime lock: a forked child may use them (the generated stubs
/// only save errno, which Marshal.GetLastPInvokeError reads from a thread-local int).
/// </remarks>
internal static unsafe partial class Posix
{
    // Signals.
    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGILL = 4;
    public const int SIGTRAP = 5;
    public const int SIGABRT = 6;
    public const int SIGBUS = 7;
    public const int SIGFPE = 8;
    public const int SIGKILL = 9;
    public const int SIGSEGV = 11;
    public const int SIGTERM = 15;
    public const int SIGCHLD = 17;
    public const int SIG_BLOCK = 0;
    public const int SFD_CLOEXEC = 0x80000;
    public const int SFD_NONBLOCK = 0x800;

    /// <summary>The size of struct signalfd_siginfo; ssi_signo is its first field (uint).</summary>
    public const int SignalInfoSize = 128;

    // Processes.
    public const int WNOHANG = 1;
    public const int PR_SET_NAME = 15;
    public const int PR_SET_CHILD_SUBREAPER = 36;

    // Descriptors and sockets.
    public const int AF_UNIX = 1;
    public const int SOCK_STREAM = 1;
    public const int SOCK_SEQPACKET = 5;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SCM_RIGHTS = 1;
    public const int SO_SNDBUF = 7;
    public const int SHUT_WR = 1;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_CTRUNC = 0x8;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int MSG_CMSG_CLOEXEC = 0x40000000;
    public const int F_GETFD = 1;
    public const int F_SETFD = 2;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int FD_CLOEXEC = 1;
    public const int O_NONBLOCK = 0x800;
    public const short POLLIN = 0x001;
    public const short POLLOUT = 0x004;
    public const short POLLERR = 0x008;
    public const short POLLHUP = 0x010;
    public const short POLLNVAL = 0x020;

    // Shared memory.
    public const int MFD_CLOEXEC = 1;
    public const int PROT_READ = 1;
    public const int PROT_WRITE = 2;
    public const int MAP_SHARED = 1;

    // Clocks.
    public const int CLOCK_REALTIME = 0;
    public const int CLOCK_MONOTONIC = 1;

    // errno values.
    public const int EINTR = 4;
    public const int ECHILD = 10;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int EPIPE = 32;
    public const int ECONNABORTED = 103;
    public const int ECONNRESET = 104;
    public const int ENOBUFS = 105;
    public const int ENOTCONN = 107;
    public const int ESHUTDOWN = 108;
    public const int ETIMEDOUT = 110;

    /// <summary>glibc's sigset_t: 1024 bits.</summary>
    [StructLayout(LayoutKind.Sequential, Size = 128)]
    public struct SignalSet
    {
        public ulong Bits;

        public static SignalSet Of(params ReadOnlySpan<int> signals)
        {
            var set = default(SignalSet);
            foreach (int signal in signals)
            {
                set.Bits |= 1UL << (signal - 1);
            }

            return set;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    /// <summary>Room for any socket address (sockaddr_storage).</summary>
    [StructLayout(LayoutKind.Sequential, Size = 128)]
    public struct SocketAddress
    {
        public ushort Family;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CMsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    // Processes and signals.
    [LibraryImport("libc", SetLastError = true)]
    public static partial int fork();

    /// <summary>signal(2) with SIG_DFL (0) or SIG_IGN (1) only: no managed handler can be installed this way.</summary>
    [LibraryImport("libc", EntryPoint = "signal")]
    public static partial nint SetDisposition(int signal, nint handler);

    [LibraryImport("libc", EntryPoint = "_exit")]
    public static partial void Exit(int status);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int waitpid(int pid, int* status, int options);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int kill(int pid, int signal);

    [LibraryImport("libc")]
    public static partial int getpid();

    [LibraryImport("libc")]
    public static partial int getppid();

    [LibraryImport("libc")]
    public static partial uint getuid();

    [LibraryImport("libc", SetLastError = true)]
    public static partial int pthread_sigmask(int how, SignalSet* set, SignalSet* old);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int signalfd(int fd, SignalSet* mask, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    // Descriptors and sockets.
    [LibraryImport("libc", SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int accept4(int fd, SocketAddress* address, int* length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint recv(int fd, void* buffer, nuint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint send(int fd, void* buffer, nuint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int shutdown(int fd, int how);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint read(int fd, void* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, void* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fcntl(int fd, int command, int argument);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setsockopt(int fd, int level, int name, void* value, uint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int socketpair(int domain, int type, int protocol, int* pair);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint sendmsg(int fd, MsgHdr* message, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint recvmsg(int fd, MsgHdr* message, int flags);

    // Shared memory.
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int memfd_create(string name, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial void* mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int munmap(void* address, nuint length);

    // Clocks.
    [LibraryImport("libc", SetLastError = true)]
    public static partial int clock_gettime(int clock, TimeSpec* time);

    /// <summary>CLOCK_MONOTONIC in milliseconds.</summary>
    public static long MonotonicMilliseconds()
    {
        TimeSpec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        return (now.Seconds * 1000) + (now.Nanoseconds / 1_000_000);
    }

    /// <summary>CLOCK_REALTIME as a UTC DateTime (a struct: no allocation).</summary>
    public static DateTime UtcNow()
    {
        TimeSpec now;
        clock_gettime(CLOCK_REALTIME, &now);
        return new DateTime(DateTime.UnixEpoch.Ticks + (now.Seconds * TimeSpan.TicksPerSecond) + (now.Nanoseconds / 100), DateTimeKind.Utc);
    }

    /// <summary>Adds O_NONBLOCK to a descriptor's flags.</summary>
    public static bool SetNonBlocking(int fd)
    {
        int flags = fcntl(fd, F_GETFL, 0);
        return flags >= 0 && ((flags & O_NONBLOCK) != 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0);
    }

    // Wait statuses (the W* macros of sys/wait.h).
    public static bool Exited(int status) => (status & 0x7f) == 0;

    public static int ExitCode(int status) => (status >> 8) & 0xff;

    public static bool Signaled(int status) => (status & 0x7f) != 0 && (status & 0x7f) != 0x7f;

    public static int TermSignal(int status) => status & 0x7f;
}
