namespace Reverb.Udp;

/// <summary>Why a UDP datagram got no reply (see <see cref="UdpReflectionGuard"/>).</summary>
internal enum UdpRefusal
{
    /// <summary>Not refused: echo it.</summary>
    None,

    /// <summary>From a classic built-in service port: answering could start an endless echo loop.</summary>
    ServicePort,

    /// <summary>The source address has used up its replies per second (--udp-rate).</summary>
    RateLimited,

    /// <summary>The table of rate-limited sources is full of active sources: a new one is not answered.</summary>
    TooManySources,
}
