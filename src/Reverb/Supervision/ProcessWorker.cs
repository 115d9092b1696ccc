using System.Net.Sockets;
using System.Threading.Channels;
using Reverb.Echo;
using Reverb.Hosting;
using Reverb.Monitoring;

namespace Reverb.Supervision;

/// <summary>
/// A worker of the process model: serves one client at a time, handed over by the master, then
/// reports back and waits for the next. When the master goes away it finishes its client (if it
/// has one) and exits, so nothing outlives its last client.
/// </summary>
internal sealed class ProcessWorker
{
    private readonly WorkerChannel _channel;
    private readonly ClientSession _session;
    private readonly Channel<ReceivedMessage> _work = Channel.CreateUnbounded<ReceivedMessage>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Lock _gate = new();
    private readonly ConnectionTable _connections = new();
    private CancellationTokenSource? _current;
    private TimeSpan? _drain;

    public ProcessWorker(WorkerChannel channel, ClientSession session)
    {
        _channel = channel;
        _session = session;
    }

    public async Task RunAsync()
    {
        // The control reader runs for the worker's whole life; the worker is done when the work queue closes.
        _ = Task.Run(ReadControlAsync);
        _channel.Send(ChannelMessage.Ready(Environment.ProcessId));

        await foreach (ReceivedMessage serve in _work.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            await ServeAsync(serve).ConfigureAwait(false);
        }
    }

    private async Task ServeAsync(ReceivedMessage serve)
    {
        using var socket = new Socket(new SafeSocketHandle(serve.Descriptor, ownsHandle: true));
        using var close = new CancellationTokenSource();
        lock (_gate)
        {
            _current = close;
            if (_drain is { } drain)
            {
                close.CancelAfter(drain);
            }
        }

        // Behind a proxy, the master learns the real client from us (only we read the PROXY header).
        long id = serve.Message.A;
        string peer = AcceptLoopServer.PeerName(socket);
        LiveConnection connection = _connections.Open(AcceptLoopServer.PeerEndPoint(socket), peer, id);
        EchoResult result = await _session.RunAsync(
            socket,
            peer,
            blocking: false,
            connection.Counters,
            (_, header) =>
            {
                connection.Client = header.Source;
                _channel.Send(ChannelMessage.Client(id, header.Source));
            },
            close.Token).ConfigureAwait(false);
        lock (_gate)
        {
            _current = null;
        }

        _connections.Close(connection, result.BytesIn, result.BytesOut, result.End);

        _channel.Send(ChannelMessage.Done(serve.Message.A, result.BytesIn, result.BytesOut, (int)result.End));
    }

    private async Task ReadControlAsync()
    {
        await foreach (ReceivedMessage received in _channel.Inbox.ReadAllAsync().ConfigureAwait(false))
        {
            switch (received.Message.Type)
            {
                case ChannelMessageType.Serve when received.Descriptor >= 0:
                    _work.Writer.TryWrite(received);
                    break;
                case ChannelMessageType.Shutdown:
                    TimeSpan drain = TimeSpan.FromMilliseconds(received.Message.A);
                    lock (_gate)
                    {
                        _drain = drain;
                        _current?.CancelAfter(drain);
                    }

                    _work.Writer.TryComplete();
                    break;
                case ChannelMessageType.Retire:
                    _work.Writer.TryComplete();
                    break;
                case ChannelMessageType.Query:
                    WorkerStatusReply.Send(_channel, received.Message.A, _connections);
                    break;
            }
        }

        // The master has gone: finish the client in hand, take no other.
        _work.Writer.TryComplete();
    }
}
