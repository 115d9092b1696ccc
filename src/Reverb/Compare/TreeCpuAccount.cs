namespace Reverb.Compare;

/// <summary>
/// CPU time a server's process tree used over a step, from the samples taken during it. Each process counts
/// from its first sample in the step (0 if born during it) to its last; children that ended are also in the
/// root's reaped-children time, which adds what no sample saw (their last moments, short-lived children) for
/// servers that reap their children. Children nobody reaps (SIGCHLD ignored, like the classic fork server)
/// count only as far as the samples saw them.
/// </summary>
internal sealed class TreeCpuAccount
{
    private readonly ProcessTreeSample _first;
    private readonly Dictionary<int, (long Baseline, long Last)> _children = [];
    private ProcessTreeSample _last;

    public TreeCpuAccount(ProcessTreeSample first)
    {
        ArgumentNullException.ThrowIfNull(first);
        _first = first;
        _last = first;
        Observe(first);
    }

    public void Observe(ProcessTreeSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        foreach (var (pid, process) in sample.Processes)
        {
            if (pid == sample.RootPid)
            {
                continue;
            }

            long baseline = _children.TryGetValue(pid, out var seen) ? seen.Baseline
                : ReferenceEquals(sample, _first) ? process.OwnCpuTicks : 0;
            _children[pid] = (baseline, process.OwnCpuTicks);
        }

        if (sample.RootAlive)
        {
            _last = sample;
        }
    }

    public long Ticks
    {
        get
        {
            _first.Processes.TryGetValue(_first.RootPid, out ProcessSnapshot? rootBefore);
            _last.Processes.TryGetValue(_last.RootPid, out ProcessSnapshot? rootAfter);
            long own = (rootAfter?.OwnCpuTicks ?? 0) - (rootBefore?.OwnCpuTicks ?? 0);
            long reaped = (rootAfter?.ReapedChildrenCpuTicks ?? 0) - (rootBefore?.ReapedChildrenCpuTicks ?? 0);
            long seenInStep = _children.Values.Sum(c => c.Last - c.Baseline);

            // Reaped time holds the whole lives of ended children; what the samples already saw of them is not added twice.
            long seenOfEnded = _children.Where(c => !_last.Processes.ContainsKey(c.Key)).Sum(c => c.Value.Last);
            return Math.Max(0, own + seenInStep + Math.Max(0, reaped - seenOfEnded));
        }
    }

    public double Seconds => Ticks / ProcessTreeSampler.TicksPerSecond;
}
