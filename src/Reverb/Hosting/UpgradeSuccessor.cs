using System.Globalization;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Reverb.Interop;
using Reverb.Listening;

namespace Reverb.Hosting;

/// <summary>
/// The new master's side of an upgrade: the listening sockets (TCP and UDP) its predecessor handed
/// down, and the channel to tell it when this master serves.
/// </summary>
/// <remarks>
/// Variables of reverb's own, not systemd's LISTEN_FDS: sd_listen_fds(3) wants LISTEN_PID to be the
/// new process's pid, which the old master cannot know before the exec (.NET's Process.Start forks
/// and execs in one call), and socket activation takes TCP listeners from descriptor 3 on, while an
/// upgrade hands down descriptors wherever they are, and UDP sockets as well. Each descriptor says
/// itself what it is (SO_TYPE), so one list serves.
/// </remarks>
internal sealed class UpgradeSuccessor : IDisposable
{
    /// <summary>The inherited sockets' descriptors, separated by commas.</summary>
    public const string SocketsVariable = "REVERB_UPGRADE_FDS";

    /// <summary>The descriptor of the metrics endpoint's listening socket (--metrics), when there is one.</summary>
    public const string MetricsVariable = "REVERB_UPGRADE_METRICS_FD";

    /// <summary>The descriptor of this master's end of the <see cref="UpgradeChannel"/>.</summary>
    public const string ChannelVariable = "REVERB_UPGRADE_CHANNEL";

    /// <summary>How long the new master waits for the old one to confirm the handover before it takes the status socket anyway.</summary>
    private static readonly TimeSpan HandoverTimeout = TimeSpan.FromSeconds(30);

    private readonly UpgradeChannel _channel;

    private UpgradeSuccessor(IReadOnlyList<Socket> listeners, IReadOnlyList<Socket> queues, IReadOnlyList<Socket> udp, UpgradeChannel channel, int from)
    {
        Listeners = listeners;
        Queues = queues;
        Udp = udp;
        _channel = channel;
        From = from;
    }

    /// <summary>One listening socket per address: the first handed down for it.</summary>
    public IReadOnlyList<Socket> Listeners { get; }

    /// <summary>Further listening sockets on an address already listed (the workers' own SO_REUSEPORT queues).</summary>
    public IReadOnlyList<Socket> Queues { get; }

    public IReadOnlyList<Socket> Udp { get; }

    /// <summary>The metrics endpoint's listening socket; null without --metrics.</summary>
    public Socket? Metrics { get; private init; }

    /// <summary>The old master's pid.</summary>
    public int From { get; }

    /// <summary>The sockets handed down by an upgrading master, or null when this master was not started by one.</summary>
    public static UpgradeSuccessor? Take(ILogger logger)
    {
        string? sockets = Environment.GetEnvironmentVariable(SocketsVariable);
        string? channel = Environment.GetEnvironmentVariable(ChannelVariable);
        string? metrics = Environment.GetEnvironmentVariable(MetricsVariable);
        Environment.SetEnvironmentVariable(SocketsVariable, null);
        Environment.SetEnvironmentVariable(ChannelVariable, null);
        Environment.SetEnvironmentVariable(MetricsVariable, null);
        if (sockets is null || channel is null)
        {
            return null;
        }

        int[] fds = [.. sockets.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Descriptor)];
        var listeners = new List<Socket>();
        var queues = new List<Socket>();
        var udp = new List<Socket>();
        foreach (int fd in fds)
        {
            // Not for the forking process or the workers: they get what they need explicitly.
            UnixChannelSocket.SetCloseOnExec(fd, enabled: true);
            var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
            List<Socket> kind = socket.SocketType == SocketType.Dgram ? udp
                : listeners.Any(l => Equals(l.LocalEndPoint, socket.LocalEndPoint)) ? queues
                : listeners;
            kind.Add(socket);
        }

        int channelFd = Descriptor(channel);
        UnixChannelSocket.SetCloseOnExec(channelFd, enabled: true);
        Socket? metricsSocket = null;
        if (metrics is not null)
        {
            int metricsFd = Descriptor(metrics);
            UnixChannelSocket.SetCloseOnExec(metricsFd, enabled: true);
            metricsSocket = new Socket(new SafeSocketHandle(metricsFd, ownsHandle: true));
        }

        if (listeners.Count == 0)
        {
            throw new ServerStartException($"upgrade: {SocketsVariable}='{sockets}' names no listening TCP socket");
        }

        int from = Posix.getppid();
        UpgradeLog.Inherited(logger, listeners.Count + queues.Count, udp.Count, from);
        return new UpgradeSuccessor(listeners, queues, udp, new UpgradeChannel(channelFd), from) { Metrics = metricsSocket };
    }

    /// <summary>
    /// Tells the old master this one serves, and waits (bounded) until it has stopped accepting and
    /// given up its status socket: true when it confirmed, false when it did not in time or has gone.
    /// </summary>
    public async Task<bool> HandOverAsync(ILogger logger, CancellationToken cancellationToken)
    {
        _channel.Send(UpgradeChannel.Ready);
        string? answer = await _channel.ReceiveAsync(HandoverTimeout, cancellationToken).ConfigureAwait(false);
        if (answer == UpgradeChannel.Go)
        {
            UpgradeLog.TookOver(logger, From, Environment.ProcessId);
            return true;
        }

        if (!cancellationToken.IsCancellationRequested)
        {
            UpgradeLog.NoHandover(logger, From, HandoverTimeout.TotalSeconds, answer is null ? "no answer, or it has gone" : $"it said '{answer}'");
        }

        return false;
    }

    public void Dispose() => _channel.Dispose();

    private static int Descriptor(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int fd) && fd > 2
            ? fd
            : throw new ServerStartException($"upgrade: '{text}' is not a file descriptor");
}
