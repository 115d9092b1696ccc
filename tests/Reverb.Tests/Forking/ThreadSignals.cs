using System.Runtime.InteropServices;

namespace Reverb.Tests.Forking;

/// <summary>
/// Signals aimed at one dedicated test thread: blocked there only (never on a shared thread), read
/// through a signalfd, sent with tgkill. A thread-directed signal that is blocked stays pending on
/// that thread and is discarded when it exits, so the rest of the test host never sees it.
/// </summary>
internal static unsafe partial class ThreadSignals
{
    public const int SIGUSR1 = 10;
    public const int SIGTERM = 15;
    private const int SIG_BLOCK = 0;
    private const int SFD_NONBLOCK = 0x800;
    private const int SFD_CLOEXEC = 0x80000;

    /// <summary>Blocks the signals on the calling thread and returns a signalfd for them (-1 on failure).</summary>
    public static int BlockOnThisThread(params int[] signals)
    {
        ulong* set = stackalloc ulong[16];
        new Span<ulong>(set, 16).Clear();
        foreach (int signal in signals)
        {
            set[0] |= 1UL << (signal - 1);
        }

        return pthread_sigmask(SIG_BLOCK, set, null) != 0 ? -1 : signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
    }

    public static int CurrentThreadId() => gettid();

    public static void Send(int threadId, int signal) => Assert.Equal(0, tgkill(Environment.ProcessId, threadId, signal));

    [LibraryImport("libc", SetLastError = true)]
    private static partial int pthread_sigmask(int how, ulong* set, ulong* oldSet);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int signalfd(int fd, ulong* mask, int flags);

    [LibraryImport("libc")]
    private static partial int gettid();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int tgkill(int tgid, int tid, int sig);
}
