using System.Runtime.InteropServices;

namespace Reverb.Interop;

/// <summary>
/// The raw libc calls a forked child echoes with (Forking/ChildEchoLoop.cs), and nothing else.
/// </summary>
/// <remarks>
/// Runs in a forked child, so it is allocation-free: a GC in a child forked from a process that had
/// other threads would wait for threads that do not exist there. Every import is blittable (pointers
/// and integers), so the generated stubs only save errno (Marshal.GetLastPInvokeError reads a
/// thread-local int). Linux x86-64/arm64 constants and layouts.
/// </remarks>
internal static unsafe partial class ChildIo
{
    public const int SOCK_STREAM = 1;
    public const short POLLIN = 0x001;
    public const short POLLOUT = 0x004;
    public const short POLLERR = 0x008;
    public const short POLLHUP = 0x010;
    public const short POLLNVAL = 0x020;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int O_NONBLOCK = 0x800;
    public const int SHUT_WR = 1;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int CLOCK_REALTIME = 0;
    public const int CLOCK_MONOTONIC = 1;
    public const int SIGTERM = 15;

    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EPIPE = 32;
    public const int ECONNABORTED = 103;
    public const int ECONNRESET = 104;
    public const int ENOTCONN = 107;
    public const int ESHUTDOWN = 108;
    public const int ETIMEDOUT = 110;

    /// <summary>The size of struct signalfd_siginfo; ssi_signo is its first field (uint).</summary>
    public const int SignalInfoSize = 128;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint count, int timeoutMs);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint recv(int fd, void* buffer, nuint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint send(int fd, void* buffer, nuint length, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int shutdown(int fd, int how);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint read(int fd, void* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint write(int fd, void* buffer, nuint count);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int fcntl(int fd, int cmd, int arg);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int clock_gettime(int clock, TimeSpec* time);

    [LibraryImport("libc")]
    public static partial int getpid();

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
}
