namespace Reverb.Protocol;

/// <summary>What the master read from a worker: a valid message, or (only from a broken worker) the <paramref name="Problem"/> with what it sent.</summary>
internal readonly record struct FromWorker(IWorkerMessage? Message, string? Problem);
