namespace Reverb.Forking;

/// <summary>
/// What a forked child needs to echo its client: plain numbers and flags only, fixed before fork,
/// so that the child reads them without touching a managed object (it must not allocate).
/// </summary>
internal readonly unsafe struct ChildEchoSettings
{
    public ChildEchoSettings()
    {
    }

    /// <summary>Bytes read at once (also the most held), the size of <see cref="ChildBuffers"/>' echo buffer.</summary>
    public int BufferSize { get; init; } = 65536;

    /// <summary>Close a client that makes no progress in either direction for this long; 0 = never.</summary>
    public int IdleTimeoutMs { get; init; }

    /// <summary>--verbose: one debug line per received chunk.</summary>
    public bool LogChunks { get; init; }

    /// <summary>Chunk lines as JsonConsole's JSON objects rather than SimpleConsole's text lines.</summary>
    public bool LogJson { get; init; }

    /// <summary>Where chunk lines go (normally 1, standard output).</summary>
    public int LogFd { get; init; } = 1;

    /// <summary>Require a PROXY protocol (v1 or v2) header before the echo.</summary>
    public bool ProxyProtocol { get; init; }

    /// <summary>Time allowed for the whole PROXY header; 0 = no limit.</summary>
    public int ProxyTimeoutMs { get; init; } = 10_000;

    /// <summary>After SIGTERM, how long the client may still go on before it is closed.</summary>
    public int DrainMs { get; init; } = 5_000;

    /// <summary>Local time minus UTC, for text-log timestamps (computed before fork: time zones allocate).</summary>
    public int LocalUtcOffsetMinutes { get; init; }

    /// <summary>
    /// Behind a --trusted-proxy: at most this many connections per real client (its IPv4 address or
    /// IPv6 /64), counted over <see cref="Table"/> once the PROXY header has named it; 0: no limit.
    /// </summary>
    public int MaxPerClient { get; init; }

    /// <summary>The whole child table (for <see cref="MaxPerClient"/>).</summary>
    public ChildSlot* Table { get; init; }

    public int TableCapacity { get; init; }
}
