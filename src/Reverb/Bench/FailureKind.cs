namespace Reverb.Bench;

/// <summary>Why a connection failed; each kind is counted separately so nothing is hidden.</summary>
internal enum FailureKind
{
    /// <summary>Anything else: unreachable, closed early by the server, local resource limits.</summary>
    Other,

    /// <summary>The server refused the connection (nothing listening, or its backlog overflowed).</summary>
    Refused,

    /// <summary>The server reset an established connection.</summary>
    Reset,

    /// <summary>No progress within the per-operation timeout.</summary>
    Timeout,

    /// <summary>The server closed the connection before echoing everything.</summary>
    Closed,
}
