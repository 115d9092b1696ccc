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
    TimeSpan Timeout,
    bool Text = false)
{
    /// <summary>The most memory the payload patterns of all connections may take together.</summary>
    public const long MaxPayloadMemory = 1L << 30;

    /// <summary>
    /// Memory the payload patterns take: each connection keeps a ring of distinct messages, stored twice
    /// (see <see cref="PayloadPattern"/>), so that nothing is generated or copied while the run is measured.
    /// </summary>
    public long PayloadMemory => (long)Connections * Size * 2 * Workload switch
    {
        BenchWorkload.Pingpong => Pipeline + 1,
        BenchWorkload.Stream => StreamWorker.RingSlots(Size),
        BenchWorkload.Churn => 2,
        _ => 0,
    };

    /// <summary>"text" (printable ASCII, newline-terminated messages) or "binary" (random bytes, NULs included).</summary>
    public string PayloadDescription => Text ? "text" : "binary";

    /// <summary>How many connections of a sample the idle workload checks for an echo.</summary>
    public int IdleSampleSize => Math.Min(Connections, 100);
}
