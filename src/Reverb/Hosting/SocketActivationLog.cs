using Microsoft.Extensions.Logging;

namespace Reverb.Hosting;

/// <summary>What the master says about the sockets a service manager passed it.</summary>
internal static partial class SocketActivationLog
{
    [LoggerMessage(EventId = 230, EventName = "SocketsPassed", Level = LogLevel.Information,
        Message = "serving {Tcp} TCP listening socket(s) and {Udp} UDP socket(s) passed by the service manager (LISTEN_FDS); PORT and --host are not used{UdpNote}")]
    public static partial void SocketsPassed(ILogger logger, int tcp, int udp, string udpNote);
}
