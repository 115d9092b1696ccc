using Microsoft.Extensions.Logging;

namespace Reverb.Supervision;

/// <summary>
/// The workers' log events, the master's side (supervising them) and the worker's own (the process
/// model's forking process has ForkerLog; the per-client events are in ServerLog, shared by every model).
/// </summary>
/// <remarks>Event ids 60–79 (each area's log class has its own range: LogEventIdTests lists them all).</remarks>
internal static partial class WorkerLog
{
    [LoggerMessage(EventId = 61, EventName = "WorkerCondemned", Level = LogLevel.Error, Message = "worker {Pid} {Why}; killing it so that it is replaced")]
    public static partial void Condemned(ILogger logger, int pid, string why);

    [LoggerMessage(EventId = 62, EventName = "WorkerReplaced", Level = LogLevel.Error, Message = "{What}; {Retry}")]
    public static partial void Replaced(ILogger logger, string what, string retry);

    [LoggerMessage(EventId = 63, EventName = "WorkerOutstayedDrain", Level = LogLevel.Warning, Message = "worker {Pid} did not exit after the drain period; killing it")]
    public static partial void OutstayedDrain(ILogger logger, int pid);

    [LoggerMessage(EventId = 64, EventName = "WorkerWatchFailed", Level = LogLevel.Error, Message = "watching worker {Pid} failed: {Error}; killing it so that it is replaced")]
    public static partial void WatchFailed(ILogger logger, int pid, string error);

    [LoggerMessage(EventId = 65, EventName = "WorkerControlFailed", Level = LogLevel.Error, Message = "reading the master's messages failed: {Error}; this worker stops accepting and exits once its clients are done")]
    public static partial void ControlFailed(ILogger logger, string error);
}
