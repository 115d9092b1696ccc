using System.Runtime.InteropServices;

namespace Reverb.Interop;

/// <summary>
/// The libc calls of the fork-per-client model that .NET does not expose: fork and reaping, signal
/// masks and signalfd, shared memory, poll and accept on raw descriptors. Linux x86-64/arm64 only.
/// </summary>
/// <remarks>
/// Hand-written because no library offers fork() to .NET: the runtime's own Process class only
/// forks to exec. Every import is blittable, so under NativeAOT (DirectPInvoke) and after a warm-up
/// under the JIT a call allocates nothing and takes no runtime lock: a forked child may use them.
/// </remarks>
internal static unsafe partial class Posix
{
    public const int SIGHUP = 1;
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int SIGCHLD = 17;
    public const int SIGILL = 4;
    public const int SIGTRAP = 5;
    public const int SIGABRT = 6;
    public const int SIGBUS = 7;
    public const int SIGFPE = 8;
    public const int SIGSEGV = 11;

    public const int SIG_BLOCK = 0;
    public const int SFD_CLOEXEC = 0x80000;
    public const int SFD_NONBLOCK = 0x800;
    public const int WNOHANG = 1;
    public const int ECHILD = 10;
    public const int POLLIN = 0x001;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int MFD_CLOEXEC = 1;
    public const int PROT_READ = 1;
    public const int PROT_WRITE = 2;
    public const int MAP_SHARED = 1;
    public const int PR_SET_CHILD_SUBREAPER = 36;
    public const int PR_SET_NAME = 15;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int O_NONBLOCK = 0x800;
    public const int EMFILE = 24;
    public const int ENFILE = 23;
    public const int ENOBUFS = 105;
    public const int ENOMEM = 12;

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

    [LibraryImport("libc", SetLastError = true)]
    public static partial int pthread_sigmask(int how, SignalSet* set, SignalSet* old);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int signalfd(int fd, SignalSet* mask, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int accept4(int fd, SocketAddress* address, int* length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint read(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fcntl(int fd, int command, int argument);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int memfd_create(string name, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial void* mmap(void* address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int munmap(void* address, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    public static bool Exited(int status) => (status & 0x7f) == 0;

    public static int ExitCode(int status) => (status >> 8) & 0xff;

    public static bool Signaled(int status) => (status & 0x7f) != 0 && (status & 0x7f) != 0x7f;

    public static int TermSignal(int status) => status & 0x7f;
}
