using System.Net.Sockets;
using System.Runtime.InteropServices;
using Reverb.Interop;

namespace Reverb.Supervision;

/// <summary>
/// The master's end of its channel to one worker: sends messages (with a descriptor attached when
/// handing over a socket) and awaits the worker's messages on the runtime's event loop, so the
/// master needs no thread per worker.
/// </summary>
internal sealed class MasterChannel : IDisposable
{
    private readonly Socket _socket;
    private readonly int _fd;
    private readonly byte[] _receiveBuffer = new byte[ChannelMessage.Size];
    private readonly Lock _sendLock = new();

    public MasterChannel(int fd)
    {
        _fd = fd;
        _socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
    }

    /// <summary>Sends a message; false when the worker has gone.</summary>
    public bool Send(ChannelMessage message, SafeHandle? attached = null)
    {
        Span<byte> payload = stackalloc byte[ChannelMessage.Size];
        message.WriteTo(payload);
        lock (_sendLock)
        {
            if (attached is null)
            {
                return UnixChannelSocket.Send(_fd, payload);
            }

            bool added = false;
            try
            {
                attached.DangerousAddRef(ref added);
                return UnixChannelSocket.Send(_fd, payload, (int)attached.DangerousGetHandle());
            }
            finally
            {
                if (added)
                {
                    attached.DangerousRelease();
                }
            }
        }
    }

    /// <summary>The next message from the worker, or null once the worker has closed its end (exited or died).</summary>
    public async ValueTask<ChannelMessage?> ReceiveAsync(CancellationToken cancellationToken)
    {
        while (true)
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

            if (ChannelMessage.TryRead(_receiveBuffer.AsSpan(0, received), out ChannelMessage message))
            {
                return message;
            }

            // A malformed message can only come from a broken worker; ignore it, the process monitor decides.
        }
    }

    public void Dispose() => _socket.Dispose();
}
