using System.Runtime.InteropServices;

namespace Reverb.Compare;

/// <summary>
/// kill(2), for the one thing System.Diagnostics.Process cannot do: ask a server to stop with SIGTERM, so it
/// drains like it would under a service manager, before SIGKILL is used.
/// </summary>
internal static partial class PosixSignals
{
    public const int SigTerm = 15;
    public const int SigKill = 9;

    /// <summary>Sends <paramref name="signal"/>; false when the process is already gone.</summary>
    public static bool Send(int pid, int signal) => Kill(pid, signal) == 0;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
