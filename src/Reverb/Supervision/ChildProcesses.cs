using System.Diagnostics;

namespace Reverb.Supervision;

/// <summary>Small waits and kills shared by the supervisors.</summary>
internal static class ChildProcesses
{
    /// <summary>True when <paramref name="task"/> completes within <paramref name="timeout"/>.</summary>
    public static async Task<bool> Completes(Task task, TimeSpan timeout)
    {
        try
        {
            await task.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    public static void TryKill(Process process)
    {
        try
        {
            process.Kill();
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }
    }
}
