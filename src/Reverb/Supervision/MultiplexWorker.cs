using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Reverb.Echo;
using Reverb.Hosting;
using Reverb.Monitoring;
using Reverb.Protocol;
using Reverb.Proxy;
using Reverb.Serving;

namespace Reverb.Supervision;

/// <summary>
/// A worker of the workers model: accepts directly on the listening sockets its master hands down
/// (and keeps open, so a worker's death loses no queued connection) and multiplexes its clients on
/// the event loop.
/// </summary>
internal sealed class MultiplexWorker
{
    private readonly WorkerChannel _channel;
    private readonly EchoOptions _echo;
    private readonly int _maxClients;
    private readonly bool _proxyProtocol;
    private readonly ILogger _logger;
    private readonly MasterAdmission? _admission;
    private readonly TimeSpan? _proxyTimeout;
    private readonly TrustedProxies? _trusted;
    private TimeSpan? _drain;

    /// <param name="maxPerSource">--max-conns-per-source, counted by the master across all workers; 0: no limit.</param>
    /// <param name="proxyTimeout">--proxy-timeout; null: the default.</param>
    public MultiplexWorker(WorkerChannel channel, EchoOptions echo, bool proxyProtocol, int maxClients, int maxPerSource, ILogger logger, TimeSpan? proxyTimeout = null, TrustedProxies? trusted = null)
    {
        _proxyTimeout = proxyTimeout;
        _trusted = trusted;
        _admission = maxPerSource > 0 ? new MasterAdmission(channel, maxPerSource) : null;
        _proxyProtocol = proxyProtocol;
        _channel = channel;
        _echo = echo;
        _maxClients = maxClients;
        _logger = logger;
    }

    public async Task RunAsync()
    {
        List<Socket>? listeners = await ReceiveListenersAsync().ConfigureAwait(false);
        if (listeners is null)
        {
            return;
        }

        // Cancelled by the control loop (the master says to stop, or has gone); the control loop
        // answers the master through the drain too, and is stopped and awaited after it.
        using var stopAccepting = new CancellationTokenSource();
        using var stopControl = new CancellationTokenSource();
        using var server = new AcceptLoopServer(listeners, ConnectionDispatch.EventLoop, _echo, _proxyProtocol, _maxClients, _admission, _logger, _proxyTimeout, _trusted);
        Task control = Task.Run(() => ControlAsync(server.Connections, stopAccepting, stopControl.Token));

        try
        {
            _channel.Send(new ChannelMessage.Ready(Environment.ProcessId));
            await server.AcceptAsync(stopAccepting.Token).ConfigureAwait(false);
            listeners.ForEach(listener => listener.Dispose());
            await server.DrainAsync(_drain).ConfigureAwait(false);

            // Unasked, so that the master's totals keep what this worker did.
            _channel.Send(new ChannelMessage.Totals(0, server.Connections.Totals()));
        }
        finally
        {
            await stopControl.CancelAsync().ConfigureAwait(false);
            await control.ConfigureAwait(false);
        }
    }

    /// <summary>Takes the master's messages until it goes or <paramref name="stop"/>; never throws (a failure is logged and stops the worker).</summary>
    private async Task ControlAsync(ConnectionTable connections, CancellationTokenSource stopAccepting, CancellationToken stop)
    {
        try
        {
            await foreach (ReceivedMessage received in _channel.Inbox.ReadAllAsync(stop).ConfigureAwait(false))
            {
                switch (received.Message)
                {
                    case ChannelMessage.Shutdown shutdown:
                        _drain = shutdown.Drain;
                        await stopAccepting.CancelAsync().ConfigureAwait(false);
                        break;
                    case ChannelMessage.Retire:
                        // Replaced (a reload or an upgrade): accept no more, let every client finish, no deadline.
                        _drain = null;
                        await stopAccepting.CancelAsync().ConfigureAwait(false);
                        break;
                    case ChannelMessage.Query query:
                        WorkerStatusReply.Send(_channel, query, connections);
                        break;
                    case ChannelMessage.Admitted admitted:
                        _admission?.Answer(admitted);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The worker is done: nothing more to take.
            return;
        }
        catch (Exception ex)
        {
            // Without its master's messages a worker is unsupervised: it stops, and the master replaces it.
            WorkerLog.ControlFailed(_logger, ex.Message);
        }

        // The master has gone (or cannot be heard): stop accepting; clients finish in their own time.
        _admission?.MasterGone();
        await stopAccepting.CancelAsync().ConfigureAwait(false);
    }

    private async Task<List<Socket>?> ReceiveListenersAsync()
    {
        var listeners = new List<Socket>();
        await foreach (ReceivedMessage received in _channel.Inbox.ReadAllAsync().ConfigureAwait(false))
        {
            switch (received.Message)
            {
                case ChannelMessage.Listen when received.Descriptor < 0:
                    // Lost on the way (logged by the channel): exit, and the master starts a replacement.
                    listeners.ForEach(listener => listener.Dispose());
                    return null;
                case ChannelMessage.Listen listen:
                    listeners.Add(new Socket(new SafeSocketHandle(received.Descriptor, ownsHandle: true)));
                    if (listeners.Count >= listen.Count)
                    {
                        return listeners;
                    }

                    break;
                case ChannelMessage.Shutdown or ChannelMessage.Retire:
                    return null;
            }
        }

        return null;
    }
}
