namespace Reverb.Bench;

/// <summary>The load patterns <c>reverb bench</c> can apply to an echo server.</summary>
internal enum BenchWorkload
{
    /// <summary>Send a message, wait for its full echo, repeat (optionally several in flight).</summary>
    Pingpong,

    /// <summary>Send and receive concurrently as fast as possible.</summary>
    Stream,

    /// <summary>Connect, echo one message, close, repeat.</summary>
    Churn,

    /// <summary>Open many connections, hold them, then check a sample still echoes.</summary>
    Idle,
}
