using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Reverb.Echo;
using Reverb.Hosting;

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

    public MultiplexWorker(WorkerChannel channel, EchoOptions echo, bool proxyProtocol, int maxClients, ILogger logger)
    {
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

        using var stopAccepting = new CancellationTokenSource();
        using var server = new AcceptLoopServer(listeners, ConnectionDispatch.EventLoop, _echo, _proxyProtocol, _maxClients, _logger);
        TimeSpan? drain = null;
        Task control = Task.Run(async () =>
        {
            await foreach (ReceivedMessage received in _channel.Inbox.ReadAllAsync().ConfigureAwait(false))
            {
                if (received.Message.Type == ChannelMessageType.Shutdown)
                {
                    drain = TimeSpan.FromMilliseconds(received.Message.A);
                    break;
                }
            }

            // Told to stop, or the master has gone (then clients finish in their own time).
            await stopAccepting.CancelAsync().ConfigureAwait(false);
        });

        _channel.Send(ChannelMessage.Ready(Environment.ProcessId));
        await server.AcceptAsync(stopAccepting.Token).ConfigureAwait(false);
        await control.ConfigureAwait(false);
        listeners.ForEach(listener => listener.Dispose());
        await server.DrainAsync(drain).ConfigureAwait(false);
    }

    private async Task<List<Socket>?> ReceiveListenersAsync()
    {
        var listeners = new List<Socket>();
        await foreach (ReceivedMessage received in _channel.Inbox.ReadAllAsync().ConfigureAwait(false))
        {
            if (received.Message.Type == ChannelMessageType.Listen && received.Descriptor >= 0)
            {
                listeners.Add(new Socket(new SafeSocketHandle(received.Descriptor, ownsHandle: true)));
                if (listeners.Count >= received.Message.B)
                {
                    return listeners;
                }

                continue;
            }

            if (received.Message.Type is ChannelMessageType.Shutdown or ChannelMessageType.Retire)
            {
                return null;
            }
        }

        return null;
    }
}
