using System.Globalization;

namespace Reverb.Compare;

/// <summary>
/// Reads a process tree from /proc. This kernel has no /proc/PID/task/*/children, so the tree is found by
/// scanning every /proc/PID/stat for its parent pid.
/// </summary>
internal static class ProcessTreeSampler
{
    /// <summary>Linux reports CPU times in USER_HZ ticks, fixed at 100 per second for user space.</summary>
    public const double TicksPerSecond = 100;

    public static ProcessTreeSample Sample(int rootPid, bool withPss)
    {
        var all = new Dictionary<int, ProcessSnapshot>();
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                && Read(pid) is { } snapshot)
            {
                all[pid] = snapshot;
            }
        }

        var tree = new Dictionary<int, ProcessSnapshot>();
        if (all.TryGetValue(rootPid, out ProcessSnapshot? root))
        {
            tree[rootPid] = root;
            ILookup<int, ProcessSnapshot> children = all.Values.ToLookup(p => p.ParentPid);
            var pending = new Stack<int>([rootPid]);
            while (pending.TryPop(out int parent))
            {
                foreach (ProcessSnapshot child in children[parent])
                {
                    if (tree.TryAdd(child.Pid, child))
                    {
                        pending.Push(child.Pid);
                    }
                }
            }
        }

        long pss = withPss ? tree.Keys.Sum(ReadPssBytes) : 0;
        return new ProcessTreeSample(rootPid, tree, pss);
    }

    private static ProcessSnapshot? Read(int pid)
    {
        try
        {
            return ProcessSnapshot.Parse(pid, File.ReadAllText($"/proc/{pid}/stat"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            return null; // it exited while we looked
        }
    }

    /// <summary>Proportional set size: shared pages divided among the processes that share them.</summary>
    private static long ReadPssBytes(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/smaps_rollup"))
            {
                if (line.StartsWith("Pss:", StringComparison.Ordinal))
                {
                    string kilobytes = line["Pss:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kilobytes, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
            // gone, or not ours to read: counts as nothing
        }

        return 0;
    }
}
