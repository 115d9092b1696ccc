using Microsoft.Extensions.Logging;

namespace Reverb.Supervision;

/// <summary>The process model's log events (the per-client ones are in ServerLog, shared by every model).</summary>
/// <remarks>Event ids 40–59 (each area's log class has its own range: LogEventIdTests lists them all).</remarks>
internal static partial class ForkerLog
{
    [LoggerMessage(EventId = 40, EventName = "ForkerStarted", Level = LogLevel.Debug, Message = "started forking process {Pid} (generation {Generation})")]
    public static partial void Started(ILogger logger, int pid, int generation);

    [LoggerMessage(EventId = 41, EventName = "ForkerDied", Level = LogLevel.Error, Message = "forking process {Pid} died ({How}); the {Orphans} clients it was serving go on; a new one starts in {Delay:0.0} s")]
    public static partial void Died(ILogger logger, int pid, string how, int orphans, double delay);

    [LoggerMessage(EventId = 42, EventName = "ForkerCannotStart", Level = LogLevel.Error, Message = "cannot start the forking process: {Reason}; trying again with a growing delay")]
    public static partial void CannotStart(ILogger logger, string reason);

    [LoggerMessage(EventId = 43, EventName = "ChildDied", Level = LogLevel.Error, Message = "worker {Pid} died ({How}) while serving {Peer}; that client is disconnected, every other client is unaffected")]
    public static partial void ChildDied(ILogger logger, int pid, string how, string peer);

    [LoggerMessage(EventId = 44, EventName = "ForkFailed", Level = LogLevel.Error, Message = "fork failed ({Reason}): clients are closed until it works again")]
    public static partial void ForkFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 45, EventName = "AcceptFailed", Level = LogLevel.Warning, Message = "accept failed ({Reason}); accepting pauses briefly")]
    public static partial void AcceptFailed(ILogger logger, string reason);

    [LoggerMessage(EventId = 48, EventName = "ReapedStranger", Level = LogLevel.Debug, Message = "reaped process {Pid} ({How}), a child of the master that was not a client's")]
    public static partial void ReapedStranger(ILogger logger, int pid, string how);

    [LoggerMessage(EventId = 49, EventName = "ForkerReaderFailed", Level = LogLevel.Error, Message = "reading the messages of forking process {Pid} failed: {Error}; killing it so that a new one starts")]
    public static partial void ReaderFailed(ILogger logger, int pid, string error);

    [LoggerMessage(EventId = 46, EventName = "KillingAfterDrain", Level = LogLevel.Warning, Message = "clients still open after the drain period; killing their processes")]
    public static partial void KillingAfterDrain(ILogger logger);
}
