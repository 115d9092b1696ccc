namespace Reverb.Compare;

/// <summary>A server's whole process tree (the process it was started as and every descendant) at one moment.</summary>
internal sealed record ProcessTreeSample(int RootPid, IReadOnlyDictionary<int, ProcessSnapshot> Processes, long PssBytes)
{
    public int ProcessCount => Processes.Count;

    public int ThreadCount => Processes.Values.Sum(p => p.Threads);

    /// <summary>Resident memory summed over the tree; pages shared between processes count once per process.</summary>
    public long RssBytes => Processes.Values.Sum(p => p.RssBytes);

    public bool RootAlive => Processes.ContainsKey(RootPid);

    /// <summary>
    /// CPU used by the tree between <paramref name="before"/> and this sample, in clock ticks: the root's own
    /// time and the time of children it has reaped since, plus what each descendant alive now used since it was
    /// first seen. Children that came and went and were reaped by the root are in its reaped-children time;
    /// children reaped by nobody (SIGCHLD ignored) are missed.
    /// </summary>
    public long CpuTicksSince(ProcessTreeSample before)
    {
        ArgumentNullException.ThrowIfNull(before);
        long total = 0;
        foreach (var (pid, now) in Processes)
        {
            before.Processes.TryGetValue(pid, out ProcessSnapshot? then);
            total += now.OwnCpuTicks - (then?.OwnCpuTicks ?? 0);
            if (pid == RootPid)
            {
                total += now.ReapedChildrenCpuTicks - (then?.ReapedChildrenCpuTicks ?? 0);
            }
        }

        return Math.Max(0, total);
    }
}
