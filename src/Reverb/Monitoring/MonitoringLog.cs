using System.Net;
using Microsoft.Extensions.Logging;

namespace Reverb.Monitoring;

/// <summary>The log events of the status socket and the metrics endpoint.</summary>
/// <remarks>Event ids 80–99 (each area's log class has its own range: LogEventIdTests lists them all).</remarks>
internal static partial class MonitoringLog
{
    [LoggerMessage(EventId = 80, EventName = "StatusDirectoryFailed", Level = LogLevel.Warning, Message = "reverb status will not work: cannot prepare {Directory}: {Error}")]
    public static partial void StatusDirectoryFailed(ILogger logger, string directory, string error);

    [LoggerMessage(EventId = 81, EventName = "StatusSocketTaken", Level = LogLevel.Warning, Message = "reverb status will not work for this server: another one answers on {Path}")]
    public static partial void StatusSocketTaken(ILogger logger, string path);

    [LoggerMessage(EventId = 82, EventName = "StatusListenFailed", Level = LogLevel.Warning, Message = "reverb status will not work: cannot listen on {Path}: {Error}")]
    public static partial void StatusListenFailed(ILogger logger, string path, string error);

    [LoggerMessage(EventId = 83, EventName = "StatusSocket", Level = LogLevel.Debug, Message = "status socket: {Path}")]
    public static partial void StatusSocket(ILogger logger, string path);

    [LoggerMessage(EventId = 84, EventName = "AnsweringStopped", Level = LogLevel.Error, Message = "stopped answering on {Endpoint}: {Error}")]
    public static partial void AnsweringStopped(ILogger logger, EndPoint? endpoint, string error);

    [LoggerMessage(EventId = 85, EventName = "AnswerFailed", Level = LogLevel.Error, Message = "could not answer a request on {Endpoint}: {Error}{More}")]
    public static partial void AnswerFailed(ILogger logger, EndPoint? endpoint, string error, string more);
}
