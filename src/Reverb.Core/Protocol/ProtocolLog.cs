using Microsoft.Extensions.Logging;

namespace Reverb.Protocol;

/// <summary>The master–worker channel's log events.</summary>
/// <remarks>Event ids 160–169 (each area's log class has its own range: LogEventIdTests lists them all).</remarks>
internal static partial class ProtocolLog
{
    [LoggerMessage(EventId = 160, EventName = "DescriptorLost", Level = LogLevel.Error, Message = "a {Type} message from the master lost the descriptor sent with it (MSG_CTRUNC: out of descriptors?)")]
    public static partial void DescriptorLost(ILogger logger, string type);

    [LoggerMessage(EventId = 161, EventName = "IgnoredFromMaster", Level = LogLevel.Error, Message = "ignored a message from the master: {Problem}")]
    public static partial void IgnoredFromMaster(ILogger logger, string problem);
}
