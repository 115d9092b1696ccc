using System.Threading.Channels;
using Reverb.Interop;

namespace Reverb.Supervision;

/// <summary>
/// A worker's end of its channel to the master. A dedicated thread blocks in recvmsg (the only
/// way to receive a descriptor) and posts what arrives; the channel completes when the master's
/// end closes, which is how a worker learns its master has gone.
/// </summary>
internal sealed class WorkerChannel : IDisposable
{
    private readonly int _fd;
    private readonly Channel<ReceivedMessage> _inbox = Channel.CreateUnbounded<ReceivedMessage>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Lock _sendLock = new();

    public WorkerChannel(int fd)
    {
        _fd = fd;
        var reader = new Thread(ReadLoop) { IsBackground = true, Name = "reverb channel" };
        reader.Start();
    }

    public ChannelReader<ReceivedMessage> Inbox => _inbox.Reader;

    public bool Send(ChannelMessage message)
    {
        Span<byte> payload = stackalloc byte[ChannelMessage.Size];
        message.WriteTo(payload);
        lock (_sendLock)
        {
            return UnixChannelSocket.Send(_fd, payload);
        }
    }

    /// <summary>Acts as if the master had asked for a shutdown (used on SIGTERM, which may reach a worker directly).</summary>
    public void InjectShutdown(TimeSpan drain) => _inbox.Writer.TryWrite(new ReceivedMessage(ChannelMessage.Shutdown(drain), -1));

    public void Dispose() => Libc.close(_fd);

    private void ReadLoop()
    {
        Span<byte> payload = stackalloc byte[ChannelMessage.Size];
        while (true)
        {
            int received = UnixChannelSocket.Receive(_fd, payload, out int fd);
            if (received == 0)
            {
                _inbox.Writer.TryComplete();
                return;
            }

            if (ChannelMessage.TryRead(payload[..received], out ChannelMessage message))
            {
                _inbox.Writer.TryWrite(new ReceivedMessage(message, fd));
            }
            else if (fd >= 0)
            {
                Libc.close(fd);
            }
        }
    }
}
