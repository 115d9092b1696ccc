using System.Net.Sockets;
using System.Text;

namespace Reverb.Client;

/// <summary>
/// The TCP echo client. Pipe mode copies stdin to the server and the echo to stdout concurrently and byte for byte,
/// half-closes at the end of input and finishes when the server closes. Interactive mode sends each typed line.
/// </summary>
internal sealed class TcpEchoClient
{
    private const int CopyBufferSize = 64 * 1024;

    private static readonly TimeSpan SenderGrace = TimeSpan.FromSeconds(1);

    private readonly ClientSettings _settings;
    private long _sent;
    private volatile bool _inputEnded;

    public TcpEchoClient(ClientSettings settings)
    {
        _settings = settings;
    }

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        using Socket socket = await ConnectAsync(cancellationToken).ConfigureAwait(false);
        if (_settings.Interactive)
        {
            await Console.Error.WriteLineAsync($"connected to {_settings.Display}; type lines to echo, Ctrl-D to quit").ConfigureAwait(false);
        }

        using var network = new NetworkStream(socket, ownsSocket: false);
        Task sending = _settings.Interactive
            ? Task.Run(() => SendLinesAsync(socket, network, cancellationToken), cancellationToken)
            : SendInputAsync(socket, network, cancellationToken);
        try
        {
            long received = await CopyEchoToOutputAsync(network, cancellationToken).ConfigureAwait(false);
            if (!_inputEnded)
            {
                // The server closed first. If it reset the connection, the sender may be the one that saw the reset
                // (then the receiver only sees the end of the stream): give it a moment to say so.
                await Task.WhenAny(sending, Task.Delay(SenderGrace, cancellationToken)).ConfigureAwait(false);
                if (sending.IsFaulted)
                {
                    await sending.ConfigureAwait(false);
                }

                throw new EchoClientException($"connection closed by {_settings.Display}");
            }

            await sending.ConfigureAwait(false);
            long sent = Interlocked.Read(ref _sent);
            if (received < sent)
            {
                throw new EchoClientException($"connection closed by {_settings.Display} after echoing {received} of {sent} bytes");
            }

            return 0;
        }
        catch (Exception ex) when (ex is IOException or SocketException)
        {
            throw new EchoClientException(DescribeFailure(ex));
        }
    }

    private async Task<Socket> ConnectAsync(CancellationToken cancellationToken)
    {
        var socket = new Socket(_settings.Target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_settings.Timeout);
        try
        {
            await socket.ConnectAsync(_settings.Target, timeout.Token).ConfigureAwait(false);
            return socket;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new EchoClientException($"cannot connect to {_settings.Display}: timed out after {_settings.Timeout.TotalSeconds:0.###}s");
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new EchoClientException($"cannot connect to {_settings.Display}: {SocketErrorText.Describe(ex)}");
        }
    }

    /// <summary>Pipe mode: stdin to the server, binary-safe, then a half-close so the server knows input ended.</summary>
    private async Task SendInputAsync(Socket socket, NetworkStream network, CancellationToken cancellationToken)
    {
        using Stream input = Console.OpenStandardInput();
        byte[] buffer = new byte[CopyBufferSize];
        int count;
        while ((count = await input.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await network.WriteAsync(buffer.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref _sent, count);
        }

        _inputEnded = true;
        socket.Shutdown(SocketShutdown.Send);
    }

    /// <summary>Interactive mode: one line typed, one line sent; Ctrl-D half-closes.</summary>
    private async Task SendLinesAsync(Socket socket, NetworkStream network, CancellationToken cancellationToken)
    {
        while (await Console.In.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(line + "\n");
            await network.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
            Interlocked.Add(ref _sent, bytes.Length);
        }

        _inputEnded = true;
        socket.Shutdown(SocketShutdown.Send);
    }

    private static async Task<long> CopyEchoToOutputAsync(NetworkStream network, CancellationToken cancellationToken)
    {
        using Stream output = Console.OpenStandardOutput();
        byte[] buffer = new byte[CopyBufferSize];
        long total = 0;
        int count;
        while ((count = await network.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            await output.WriteAsync(buffer.AsMemory(0, count), cancellationToken).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            total += count;
        }

        return total;
    }

    private string DescribeFailure(Exception exception)
    {
        var socketError = exception as SocketException ?? exception.InnerException as SocketException;
        return socketError?.SocketErrorCode switch
        {
            SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown
                => $"connection reset by {_settings.Display}",
            { } => $"connection to {_settings.Display} failed: {SocketErrorText.Describe(socketError)}",
            null => $"connection to {_settings.Display} failed: {exception.Message}",
        };
    }
}
