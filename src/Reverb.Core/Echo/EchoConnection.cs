using System.Buffers;
using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Reverb.Echo;

/// <summary>
/// The per-connection echo loop shared by every concurrency model (RFC 862: every byte back,
/// exactly, until the client closes). It knows nothing of processes or models: a model decides
/// only where it runs and whether its I/O blocks a thread or waits on the event loop.
/// </summary>
/// <remarks>
/// Backpressure comes from the shape of the loop: it reads again only once the previous chunk has
/// been written back in full, so a client that sends without reading fills its own socket buffers,
/// never the server's memory. While waiting for data it holds no buffer at all (a zero-byte read),
/// so idle connections cost only their socket.
/// </remarks>
internal sealed class EchoConnection
{
    private readonly Socket _socket;
    private readonly EchoOptions _options;
    private readonly ILogger _logger;
    private readonly string _peer;
    private readonly bool _blocking;
    private readonly EchoCounters _counters;

    /// <param name="socket">A connected TCP socket; the caller keeps ownership and disposes it.</param>
    /// <param name="blocking">true: synchronous socket calls on the calling thread (the threads model).</param>
    /// <param name="counters">Where the running byte counts go, for observers; null keeps them private.</param>
    public EchoConnection(Socket socket, EchoOptions options, ILogger logger, string peer, bool blocking = false, EchoCounters? counters = null)
    {
        _socket = socket;
        _options = options;
        _logger = logger;
        _peer = peer;
        _blocking = blocking;
        _counters = counters ?? new EchoCounters();
    }

    public long BytesIn => _counters.BytesIn;

    public long BytesOut => _counters.BytesOut;

    /// <summary>Echoes until the client closes, the idle timeout fires, or <paramref name="shutdown"/> is cancelled.</summary>
    public async Task<EchoResult> RunAsync(CancellationToken shutdown)
    {
        long started = Stopwatch.GetTimestamp();
        EchoEnd end;
        if (_blocking)
        {
            end = RunBlocking(shutdown);
        }
        else
        {
            end = await RunNonBlockingAsync(shutdown).ConfigureAwait(false);
        }

        return new EchoResult(BytesIn, BytesOut, Stopwatch.GetElapsedTime(started), end);
    }

    private async Task<EchoEnd> RunNonBlockingAsync(CancellationToken shutdown)
    {
        TimeSpan? idle = _options.IdleTimeout;
        using CancellationTokenSource? idleCts = idle is null ? null : CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        CancellationToken token = idleCts?.Token ?? shutdown;
        try
        {
            while (true)
            {
                idleCts?.CancelAfter(idle!.Value);

                // Wait for data without holding a buffer: idle connections cost only their socket.
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, token).ConfigureAwait(false);

                byte[] buffer = ArrayPool<byte>.Shared.Rent(_options.BufferSize);
                try
                {
                    int received = await _socket.ReceiveAsync(buffer.AsMemory(0, _options.BufferSize), SocketFlags.None, token).ConfigureAwait(false);
                    if (received == 0)
                    {
                        return CloseAfterClientFinished();
                    }

                    Received(buffer.AsSpan(0, received));
                    int sent = 0;
                    while (sent < received)
                    {
                        idleCts?.CancelAfter(idle!.Value);
                        int n = await _socket.SendAsync(buffer.AsMemory(sent, received - sent), SocketFlags.None, token).ConfigureAwait(false);
                        sent += n;
                        _counters.AddOut(n);
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return shutdown.IsCancellationRequested ? EchoEnd.Shutdown : EchoEnd.IdleTimeout;
        }
        catch (ObjectDisposedException)
        {
            return EchoEnd.Shutdown;
        }
        catch (SocketException ex)
        {
            return shutdown.IsCancellationRequested ? EchoEnd.Shutdown : Classify(ex);
        }
    }

    private EchoEnd RunBlocking(CancellationToken shutdown)
    {
        _socket.Blocking = true;
        if (_options.IdleTimeout is { } idle)
        {
            int ms = (int)Math.Clamp(idle.TotalMilliseconds, 1, int.MaxValue);
            _socket.ReceiveTimeout = ms;
            _socket.SendTimeout = ms;
        }

        // A blocked thread cannot observe a token: shutting the socket down wakes it.
        using CancellationTokenRegistration wake = shutdown.Register(static s => ShutdownQuietly((Socket)s!), _socket);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(_options.BufferSize);
        try
        {
            while (true)
            {
                int received = _socket.Receive(buffer, 0, _options.BufferSize, SocketFlags.None);
                if (received == 0)
                {
                    return shutdown.IsCancellationRequested ? EchoEnd.Shutdown : CloseAfterClientFinished();
                }

                Received(buffer.AsSpan(0, received));
                int sent = 0;
                while (sent < received)
                {
                    int n = _socket.Send(buffer, sent, received - sent, SocketFlags.None);
                    sent += n;
                    _counters.AddOut(n);
                }
            }
        }
        catch (ObjectDisposedException)
        {
            return EchoEnd.Shutdown;
        }
        catch (SocketException ex)
        {
            if (shutdown.IsCancellationRequested)
            {
                return EchoEnd.Shutdown;
            }

            return ex.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock ? EchoEnd.IdleTimeout : Classify(ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void Received(ReadOnlySpan<byte> chunk)
    {
        _counters.AddIn(chunk.Length);
        if (_options.LogChunks && _logger.IsEnabled(LogLevel.Debug))
        {
            EchoLog.Chunk(_logger, _peer, ChunkFormatter.Format(chunk));
        }
    }

    // The client shut down its sending side and everything it sent has been echoed: finish ours.
    private EchoEnd CloseAfterClientFinished()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (SocketException)
        {
            // The client is already fully gone; nothing left to tell it.
        }

        return EchoEnd.ClientClosed;
    }

    private static EchoEnd Classify(SocketException ex) => ex.SocketErrorCode switch
    {
        SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown or SocketError.NotConnected => EchoEnd.Reset,
        SocketError.TimedOut => EchoEnd.IdleTimeout,
        _ => EchoEnd.Error,
    };

    private static void ShutdownQuietly(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed: the blocked call has returned anyway.
        }
    }
}
