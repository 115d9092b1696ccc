using Microsoft.Extensions.Logging;

namespace Reverb.Hosting;

/// <summary>The log events of an in-place upgrade (SIGUSR2), on the old master's side and the new one's.</summary>
internal static partial class UpgradeLog
{
    [LoggerMessage(EventId = 250, EventName = "UpgradeStarting", Level = LogLevel.Information, Message = "SIGUSR2: upgrade: starting a new master from {Executable} with {Sockets} listening socket(s)")]
    public static partial void Starting(ILogger logger, string executable, int sockets);

    [LoggerMessage(EventId = 251, EventName = "UpgradeReady", Level = LogLevel.Information, Message = "upgrade: new master {Pid} is ready; this master (pid {Self}) stops accepting and lets its clients finish")]
    public static partial void Ready(ILogger logger, int pid, int self);

    [LoggerMessage(EventId = 252, EventName = "UpgradeFailed", Level = LogLevel.Error, Message = "upgrade failed: {Reason}; this master (pid {Self}) goes on serving")]
    public static partial void Failed(ILogger logger, string reason, int self);

    [LoggerMessage(EventId = 253, EventName = "UpgradeRefused", Level = LogLevel.Warning, Message = "SIGUSR2: upgrade refused: {Why}")]
    public static partial void Refused(ILogger logger, string why);

    [LoggerMessage(EventId = 254, EventName = "UpgradeInherited", Level = LogLevel.Information, Message = "upgrade: serving {Tcp} TCP and {Udp} UDP socket(s) inherited from master {From}")]
    public static partial void Inherited(ILogger logger, int tcp, int udp, int from);

    [LoggerMessage(EventId = 255, EventName = "UpgradeTookOver", Level = LogLevel.Information, Message = "upgrade: master {From} has handed over; this master (pid {Self}) now serves alone")]
    public static partial void TookOver(ILogger logger, int from, int self);

    [LoggerMessage(EventId = 256, EventName = "UpgradeOldMasterDone", Level = LogLevel.Information, Message = "upgrade: old master {Self} exits: its clients have finished; master {Pid} serves")]
    public static partial void OldMasterDone(ILogger logger, int self, int pid);

    [LoggerMessage(EventId = 257, EventName = "UpgradeNoHandover", Level = LogLevel.Warning, Message = "upgrade: master {From} did not confirm the handover within {Seconds:0} s ({Why}); serving anyway")]
    public static partial void NoHandover(ILogger logger, int from, double seconds, string why);
}
