using System.Net.Sockets;

namespace Reverb.Proxy;

/// <summary>
/// Reads a PROXY protocol header off a new connection, consuming exactly its bytes so that the
/// echo starts with the client's first byte.
/// </summary>
internal static class ProxyHeaderReader
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    public static async Task<ProxyHeader> ReadAsync(Socket socket, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            byte[] buffer = new byte[ProxyHeaderParser.V2FixedLength + 536];
            await ReceiveExactlyAsync(socket, buffer.AsMemory(0, 5), deadline.Token).ConfigureAwait(false);
            switch (ProxyHeaderParser.DetectVersion(buffer.AsSpan(0, 5)))
            {
                case 1:
                    // One byte at a time up to the line feed: reading further would swallow echo data.
                    int length = 5;
                    while (buffer[length - 1] != (byte)'\n')
                    {
                        if (length == ProxyHeaderParser.V1MaxLength)
                        {
                            throw new ProxyProtocolException(ProxyHeaderError.V1TooLong.ToText());
                        }

                        await ReceiveExactlyAsync(socket, buffer.AsMemory(length++, 1), deadline.Token).ConfigureAwait(false);
                    }

                    return ProxyHeaderParser.ParseV1(buffer.AsSpan(0, length));
                case 2:
                    await ReceiveExactlyAsync(socket, buffer.AsMemory(5, ProxyHeaderParser.V2FixedLength - 5), deadline.Token).ConfigureAwait(false);
                    int addressLength = ProxyHeaderParser.V2AddressLength(buffer.AsSpan(0, ProxyHeaderParser.V2FixedLength));
                    byte[] addresses = addressLength <= buffer.Length - ProxyHeaderParser.V2FixedLength
                        ? buffer
                        : new byte[ProxyHeaderParser.V2FixedLength + addressLength];
                    buffer.AsSpan(0, ProxyHeaderParser.V2FixedLength).CopyTo(addresses);
                    await ReceiveExactlyAsync(socket, addresses.AsMemory(ProxyHeaderParser.V2FixedLength, addressLength), deadline.Token).ConfigureAwait(false);
                    return ProxyHeaderParser.ParseV2(addresses.AsSpan(0, ProxyHeaderParser.V2FixedLength), addresses.AsSpan(ProxyHeaderParser.V2FixedLength, addressLength));
                default:
                    throw new ProxyProtocolException(ProxyHeaderError.NotProxy.ToText());
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ProxyProtocolException(ProxyHeaderError.Timeout.ToText(timeout));
        }
        catch (SocketException ex)
        {
            throw new ProxyProtocolException($"{ProxyHeaderError.ConnectionFailed.ToText()}: {ex.SocketErrorCode}", ex);
        }
    }

    private static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (!destination.IsEmpty)
        {
            int read = await socket.ReceiveAsync(destination, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new ProxyProtocolException(ProxyHeaderError.Closed.ToText());
            }

            destination = destination[read..];
        }
    }
}
