namespace Reverb.Compare;

/// <summary>
/// What the server's process tree used during one step: CPU time over the step, and the peaks of memory,
/// processes and threads seen by sampling it twice a second.
/// </summary>
internal sealed record ServerFigures(
    double CpuSeconds,
    long PeakRssBytes,
    long PeakPssBytes,
    int PeakProcesses,
    int PeakThreads);
