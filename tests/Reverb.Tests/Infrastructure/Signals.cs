using System.Runtime.InteropServices;

namespace Reverb.Tests.Infrastructure;

public static partial class Signals
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;
    public const int SIGINT = 2;
    public const int SIGSEGV = 11;

    public static bool IsRoot => geteuid() == 0;

    public static void Send(int pid, int signal) => kill(pid, signal);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
