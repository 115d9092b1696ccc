using System.Net.Sockets;
using System.Text;

namespace Reverb.Hosting;

/// <summary>
/// The old and the new master of an upgrade talk over one inherited AF_UNIX SOCK_SEQPACKET pair,
/// one short word per message: the new master says <see cref="Ready"/> once it serves every
/// listener; the old one answers <see cref="Go"/> once it has handed over. The end of the pair
/// (the peer exited) reads as null.
/// </summary>
internal sealed class UpgradeChannel : IDisposable
{
    public const string Ready = "ready";
    public const string Go = "go";

    private readonly Socket _socket;

    public UpgradeChannel(int fd) => _socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));

    public void Send(string word)
    {
        try
        {
            _socket.Send(Encoding.ASCII.GetBytes(word));
        }
        catch (SocketException)
        {
            // The peer has gone: it will not read it either way.
        }
    }

    /// <summary>The next word; null when the peer has gone or nothing came within <paramref name="timeout"/>.</summary>
    public async Task<string?> ReceiveAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        byte[] buffer = new byte[16];
        try
        {
            int length = await _socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token).ConfigureAwait(false);
            return length == 0 ? null : Encoding.ASCII.GetString(buffer, 0, length);
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException)
        {
            return null;
        }
    }

    public void Dispose() => _socket.Dispose();
}
