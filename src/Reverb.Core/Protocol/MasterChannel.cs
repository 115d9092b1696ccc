using System.Net.Sockets;
using System.Runtime.InteropServices;
using Reverb.Interop;

namespace Reverb.Protocol;

/// <summary>
/// The master's end of its channel to one worker: sends messages (with a descriptor attached when
/// handing over a socket) and awaits the worker's messages on the runtime's event loop, so the
/// master needs no thread per worker. No send waits longer than <see cref="SendTimeout"/> for room: a
/// worker that does not read its channel (stopped, stuck) is declared not answering (<see cref="NotAnswering"/>),
/// and every later send to it fails at once, so it can never hold up the master.
/// </summary>
internal sealed class MasterChannel : IDisposable
{
    private readonly Socket _socket;
    private readonly int _fd;
    private readonly byte[] _receiveBuffer = new byte[ChannelCodec.FrameSize];
    private readonly Lock _sendLock = new();
    private volatile bool _notAnswering;

    /// <summary>How long a send may wait for the worker to make room in its channel.</summary>
    public static TimeSpan SendTimeout { get; } = TimeSpan.FromSeconds(1);

    /// <summary>Raised once, on the sending thread, when a send has timed out.</summary>
    public event Action? NotAnswering;

    /// <summary>Whether a send has timed out: the worker is stopped or stuck, and nothing more is sent to it.</summary>
    public bool IsNotAnswering => _notAnswering;

    public MasterChannel(int fd)
    {
        _fd = fd;
        _socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
    }

    /// <summary>Sends a message; false when the worker has gone or is not answering.</summary>
    public bool Send<T>(T message, SafeHandle? attached = null)
        where T : struct, IMasterMessage
    {
        Span<byte> payload = stackalloc byte[ChannelCodec.FrameSize];
        ChannelCodec.Write(message, payload);
        SendResult result;
        lock (_sendLock)
        {
            if (_notAnswering)
            {
                return false;
            }

            result = SendLocked(payload, attached);
            if (result == SendResult.TimedOut)
            {
                _notAnswering = true;
            }
        }

        if (result == SendResult.TimedOut)
        {
            NotAnswering?.Invoke();
        }

        return result == SendResult.Sent;
    }

    private SendResult SendLocked(ReadOnlySpan<byte> payload, SafeHandle? attached)
    {
        if (attached is null)
        {
            return UnixChannelSocket.TrySend(_fd, payload, -1, SendTimeout);
        }

        bool added = false;
        try
        {
            attached.DangerousAddRef(ref added);
            return UnixChannelSocket.TrySend(_fd, payload, (int)attached.DangerousGetHandle(), SendTimeout);
        }
        finally
        {
            if (added)
            {
                attached.DangerousRelease();
            }
        }
    }

    /// <summary>
    /// The next message from the worker (or what was wrong with it: only a broken worker sends a
    /// malformed frame or a master's message), or null once the worker has closed its end (exited or died).
    /// </summary>
    public async ValueTask<FromWorker?> ReceiveAsync(CancellationToken cancellationToken)
    {
        int received;
        try
        {
            received = await _socket.ReceiveAsync(_receiveBuffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException)
        {
            return null;
        }
        catch (ObjectDisposedException)
        {
            return null;
        }

        if (received == 0)
        {
            return null;
        }

        if (!ChannelCodec.TryRead(_receiveBuffer.AsSpan(0, received), out IChannelMessage? message, out string? error))
        {
            return new FromWorker(null, error);
        }

        return message is IWorkerMessage fromWorker
            ? new FromWorker(fromWorker, null)
            : new FromWorker(null, $"{ChannelCodec.KindOf(message)}, which only the master sends");
    }

    public void Dispose() => _socket.Dispose();
}
