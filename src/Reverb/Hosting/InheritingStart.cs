using System.Diagnostics;
using Reverb.Interop;

namespace Reverb.Hosting;

/// <summary>
/// Starts a child process that inherits some of this process's descriptors: their close-on-exec flag is
/// cleared for the start alone, and set again after it.
/// </summary>
/// <remarks>
/// Close-on-exec is a flag of the process's one descriptor table, so every such start (the forking
/// process, a worker, an upgraded master) takes the same lock: otherwise a child started by one of them
/// could inherit the descriptors cleared for another's. One lock for the process is the right depth
/// here, as the table it guards is the process's.
/// </remarks>
internal static class InheritingStart
{
    private static readonly Lock Gate = new();

    /// <summary>Runs <paramref name="start"/> with <paramref name="inherited"/> inheritable (negative entries are skipped).</summary>
    public static Process Start(IReadOnlyList<int> inherited, Func<Process> start)
    {
        ArgumentNullException.ThrowIfNull(inherited);
        ArgumentNullException.ThrowIfNull(start);
        lock (Gate)
        {
            try
            {
                SetInheritable(inherited, inheritable: true);
                return start();
            }
            finally
            {
                SetInheritable(inherited, inheritable: false);
            }
        }
    }

    private static void SetInheritable(IReadOnlyList<int> fds, bool inheritable)
    {
        foreach (int fd in fds)
        {
            if (fd >= 0)
            {
                UnixChannelSocket.SetCloseOnExec(fd, enabled: !inheritable);
            }
        }
    }
}
