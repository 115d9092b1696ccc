namespace Reverb.Supervision;

/// <summary>A client handed to a worker: who, under which id, and since when (Stopwatch ticks).</summary>
internal sealed record ClientAssignment(long ConnectionId, string Peer, long StartedTimestamp);
