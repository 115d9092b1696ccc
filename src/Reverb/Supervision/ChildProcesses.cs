using System.Diagnostics;
using Microsoft.Extensions.Logging;

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

    /// <summary>
    /// Tells every worker to shut down (closing its clients after <paramref name="drain"/>), waits for
    /// all to exit, and kills any that outstay the drain period.
    /// </summary>
    /// <param name="workers">A fresh snapshot of the workers still alive.</param>
    /// <param name="allExited">Completes when the last worker has exited.</param>
    public static async Task ShutDownAsync(Func<WorkerHandle[]> workers, Task allExited, TimeSpan drain, ILogger logger)
    {
        foreach (WorkerHandle worker in workers())
        {
            worker.Channel.Send(ChannelMessage.Shutdown(drain));
        }

        if (await Completes(allExited, drain + TimeSpan.FromSeconds(3)).ConfigureAwait(false))
        {
            return;
        }

        foreach (WorkerHandle worker in workers())
        {
            logger.LogWarning("worker {Pid} did not exit after the drain period; killing it", worker.Pid);
            TryKill(worker.Process);
        }

        await Completes(allExited, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
    }

    /// <summary>SIGKILLs every child of this process (all its threads' children, from /proc), for a stop that cannot wait.</summary>
    public static void KillAll()
    {
        foreach (string thread in System.IO.Directory.EnumerateDirectories("/proc/self/task"))
        {
            string children = Path.Combine(thread, "children");
            string list = File.Exists(children) ? File.ReadAllText(children) : string.Empty;
            foreach (string pid in list.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                Interop.Libc.kill(int.Parse(pid, System.Globalization.CultureInfo.InvariantCulture), Interop.Libc.SIGKILL);
            }
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
