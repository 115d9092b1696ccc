namespace Reverb.Echo;

/// <summary>How an echo connection ended.</summary>
internal enum EchoEnd
{
    /// <summary>The client closed (or half-closed) its side; everything it sent went back.</summary>
    ClientClosed = 1,

    /// <summary>The client reset the connection or stopped accepting data.</summary>
    Reset = 2,

    /// <summary>No progress for the idle timeout.</summary>
    IdleTimeout = 3,

    /// <summary>The server shut down and the drain period ran out.</summary>
    Shutdown = 4,

    /// <summary>An unexpected socket error.</summary>
    Error = 5,

    /// <summary>Refused before any echo: a PROXY protocol header was required and missing or malformed.</summary>
    Rejected = 6,

    /// <summary>Refused before any echo: the real client behind a trusted proxy already had --max-conns-per-source connections.</summary>
    RefusedPerSource = 7,
}
