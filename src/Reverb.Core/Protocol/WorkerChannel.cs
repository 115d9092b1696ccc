using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Reverb.Interop;

namespace Reverb.Protocol;

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

    private readonly ILogger? _logger;

    public WorkerChannel(int fd, ILogger? logger = null)
    {
        _fd = fd;
        _logger = logger;
        var reader = new Thread(ReadLoop) { IsBackground = true, Name = "reverb channel" };
        reader.Start();
    }

    public ChannelReader<ReceivedMessage> Inbox => _inbox.Reader;

    public bool Send<T>(T message)
        where T : struct, IWorkerMessage
    {
        Span<byte> payload = stackalloc byte[ChannelCodec.FrameSize];
        ChannelCodec.Write(message, payload);
        lock (_sendLock)
        {
            return UnixChannelSocket.Send(_fd, payload);
        }
    }

    /// <summary>Acts as if the master had asked for a shutdown (used on SIGTERM, which may reach a worker directly).</summary>
    public void InjectShutdown(TimeSpan drain) => _inbox.Writer.TryWrite(new ReceivedMessage(new ChannelMessage.Shutdown(drain), -1));

    public void Dispose() => Posix.close(_fd);

    private void ReadLoop()
    {
        Span<byte> payload = stackalloc byte[ChannelCodec.FrameSize];
        while (true)
        {
            int received = UnixChannelSocket.Receive(_fd, payload, out int fd, out bool truncated);
            if (received == 0)
            {
                _inbox.Writer.TryComplete();
                return;
            }

            if (ChannelCodec.TryRead(payload[..received], out IChannelMessage? message, out string? error) && message is IMasterMessage fromMaster)
            {
                if (truncated && _logger is not null)
                {
                    ProtocolLog.DescriptorLost(_logger, ChannelCodec.KindOf(fromMaster));
                }

                _inbox.Writer.TryWrite(new ReceivedMessage(fromMaster, fd, truncated));
                continue;
            }

            // Only a master of another version could send this: say so, and drop it.
            if (_logger is not null)
            {
                ProtocolLog.IgnoredFromMaster(_logger, error ?? $"{ChannelCodec.KindOf(message!)}, which only a worker sends");
            }
            if (fd >= 0)
            {
                Posix.close(fd);
            }
        }
    }
}
