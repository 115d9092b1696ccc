using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Reverb.Listening;

/// <summary>The listening sockets' log events.</summary>
/// <remarks>Event ids 130–139 (each area's log class has its own range: LogEventIdTests lists them all).</remarks>
internal static partial class ListeningLog
{
    [LoggerMessage(EventId = 130, EventName = "AcceptBackoff", Level = LogLevel.Warning, Message = "accept failed ({Error}: {Message}); accepting again shortly")]
    public static partial void AcceptBackoff(ILogger logger, SocketError error, string message);
}
