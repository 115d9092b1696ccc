using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Reverb.Interop;
using Reverb.Protocol;

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
            worker.Channel.Send(new ChannelMessage.Shutdown(drain));
        }

        if (await Completes(allExited, drain + TimeSpan.FromSeconds(3)).ConfigureAwait(false))
        {
            return;
        }

        foreach (WorkerHandle worker in workers())
        {
            WorkerLog.OutstayedDrain(logger, worker.Pid);
            TryKill(worker.Process);
        }

        await Completes(allExited, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
    }

    /// <summary>SIGKILLs every child of this process (all its threads' children, from /proc), for a stop that cannot wait.</summary>
    /// <param name="spare">A child left alone with its own children (the new master an upgrade started); 0: none.</param>
    public static void KillAll(int spare = 0)
    {
        // The whole tree first (the process model's clients are grandchildren), then every one of them:
        // killing a parent first would hand its children to another reaper before they are found.
        var tree = new List<int>();
        var pending = new Stack<int>([Environment.ProcessId]);
        while (pending.TryPop(out int parent))
        {
            foreach (int child in ChildrenOf(parent).Where(c => c != spare))
            {
                tree.Add(child);
                pending.Push(child);
            }
        }

        foreach (int pid in tree)
        {
            Posix.kill(pid, Posix.SIGKILL);
        }
    }

    /// <summary>The children of <paramref name="pid"/>, from /proc (every thread's list).</summary>
    public static IEnumerable<int> ChildrenOf(int pid)
    {
        string tasks = $"/proc/{pid}/task";
        if (!Directory.Exists(tasks))
        {
            yield break;
        }

        foreach (string thread in Directory.EnumerateDirectories(tasks))
        {
            string list;
            try
            {
                list = File.ReadAllText(Path.Combine(thread, "children"));
            }
            catch (IOException)
            {
                continue;
            }

            foreach (string child in list.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                yield return int.Parse(child, System.Globalization.CultureInfo.InvariantCulture);
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
