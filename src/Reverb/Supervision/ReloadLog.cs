using Microsoft.Extensions.Logging;

namespace Reverb.Supervision;

/// <summary>The log events of a graceful reload (SIGHUP): which processes were replaced by which.</summary>
internal static partial class ReloadLog
{
    [LoggerMessage(EventId = 240, EventName = "ReloadStarting", Level = LogLevel.Information, Message = "SIGHUP: reload: starting {What} to replace {Old}")]
    public static partial void Starting(ILogger logger, string what, string old);

    [LoggerMessage(EventId = 241, EventName = "ReloadReplaced", Level = LogLevel.Information, Message = "reload: {Role} {Old} replaced by {New}; {Old} accepts no more clients and exits once its {Clients} client(s) have finished")]
    public static partial void Replaced(ILogger logger, string role, int old, int @new, int clients);

    [LoggerMessage(EventId = 242, EventName = "ReloadRetired", Level = LogLevel.Information, Message = "reload: retired {Role} {Pid} has exited ({How}): its clients have finished")]
    public static partial void Retired(ILogger logger, string role, int pid, string how);

    [LoggerMessage(EventId = 243, EventName = "ReloadFailed", Level = LogLevel.Error, Message = "reload failed: {Reason}; {Role} {Pid} goes on serving")]
    public static partial void Failed(ILogger logger, string reason, string role, int pid);

    [LoggerMessage(EventId = 244, EventName = "ReloadBusy", Level = LogLevel.Warning, Message = "SIGHUP: a reload is already in progress; ignored")]
    public static partial void Busy(ILogger logger);

    [LoggerMessage(EventId = 245, EventName = "ReloadNothing", Level = LogLevel.Information, Message = "SIGHUP: reload: nothing to replace in the {Model} model (every client is served by the master itself)")]
    public static partial void Nothing(ILogger logger, string model);

    [LoggerMessage(EventId = 246, EventName = "ReloadDone", Level = LogLevel.Information, Message = "reload done: {Replaced}")]
    public static partial void Done(ILogger logger, string replaced);

    [LoggerMessage(EventId = 247, EventName = "ReloadNotNow", Level = LogLevel.Warning, Message = "SIGHUP: reload ignored: {Why}")]
    public static partial void NotNow(ILogger logger, string why);
}
