namespace Reverb.Compare;

/// <summary>A server's whole process tree (the process it was started as and every descendant) at one moment.</summary>
internal sealed record ProcessTreeSample(int RootPid, IReadOnlyDictionary<int, ProcessSnapshot> Processes, long PssBytes)
{
    public int ProcessCount => Processes.Count;

    public int ThreadCount => Processes.Values.Sum(p => p.Threads);

    /// <summary>Resident memory summed over the tree; pages shared between processes count once per process.</summary>
    public long RssBytes => Processes.Values.Sum(p => p.RssBytes);

    public bool RootAlive => Processes.ContainsKey(RootPid);
}
