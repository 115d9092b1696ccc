using System.Net;

namespace Reverb.Bench;

/// <summary>Everything one benchmark run needs, already validated by the command line.</summary>
internal sealed record BenchSettings(
    IPEndPoint Target,
    BenchWorkload Workload,
    int Connections,
    int Size,
    TimeSpan Duration,
    TimeSpan Warmup,
    int Pipeline,
    int Seed,
    TimeSpan Timeout)
{
    /// <summary>How many connections of a sample the idle workload checks for an echo.</summary>
    public int IdleSampleSize => Math.Min(Connections, 100);
}
