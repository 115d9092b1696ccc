namespace Reverb.Listening;

/// <summary>What an accept loop does about a failed accept(2).</summary>
internal enum AcceptFailure
{
    /// <summary>That one connection failed (it was aborted, or accept passed on its network error): accept the next at once.</summary>
    Retry,

    /// <summary>Out of descriptors or memory, or an error nobody expected: say so (throttled), wait a moment, accept again.</summary>
    Backoff,

    /// <summary>The listening socket itself is closed or unusable: the loop ends.</summary>
    Fatal,
}
