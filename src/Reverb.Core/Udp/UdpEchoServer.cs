using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Reverb.Listening;

namespace Reverb.Udp;

/// <summary>
/// UDP echo (RFC 862): every datagram goes back to its sender, byte for byte. A datagram is
/// stateless, so no per-client process or thread is needed in any model: the master process owns
/// the UDP sockets (with --udp, one per TCP listening address, same address and port; under socket
/// activation, the datagram sockets the service manager passed) and echoes on the event loop,
/// one datagram at a time per socket, through one pooled 64 KiB buffer and one reused source
/// address, so the hot path allocates nothing. <see cref="UdpReflectionGuard"/> decides what is
/// answered.
/// </summary>
internal sealed class UdpEchoServer : IAsyncDisposable
{
    /// <summary>Holds the largest UDP payload (65,507 bytes over IPv4, 65,527 over IPv6).</summary>
    public const int BufferSize = 64 * 1024;

    private readonly Socket[] _sockets;
    private readonly UdpReflectionGuard _guard;
    private readonly UdpRefusalLog _refusals;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop;
    private readonly Task[] _loops;
    private long _echoed;

    private UdpEchoServer(Socket[] sockets, int ratePerSecond, ILogger logger, CancellationToken stop)
    {
        _sockets = sockets;
        _guard = new UdpReflectionGuard(ratePerSecond);
        _refusals = new UdpRefusalLog(logger, ratePerSecond);
        _logger = logger;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(stop);

        // Stopping closes the sockets, which ends pending receives. The socket calls get no token:
        // a cancellable token costs a registration (about 30 bytes) per datagram.
        _stop.Token.UnsafeRegister(_ => CloseSockets(), null);
        _loops = [.. sockets.Select(EchoLoopAsync), ReportLoopAsync()];
    }

    /// <summary>
    /// Binds a UDP socket beside every TCP listener (same address, port and dual-stack setting) and
    /// starts echoing until <paramref name="stop"/> is cancelled or the server is disposed.
    /// </summary>
    public static UdpEchoServer Start(IReadOnlyList<Socket> tcpListeners, int ratePerSecond, ILogger logger, CancellationToken stop)
    {
        var sockets = new List<Socket>();
        try
        {
            foreach (Socket listener in tcpListeners)
            {
                if (listener.LocalEndPoint is IPEndPoint endpoint)
                {
                    sockets.Add(Bind(listener, endpoint));
                }
                else
                {
                    // A Unix-domain listener passed by the service manager has no UDP twin.
                    UdpLog.NotBeside(logger, listener.LocalEndPoint);
                }
            }
        }
        catch
        {
            sockets.ForEach(s => s.Dispose());
            throw;
        }

        return Serve(sockets, ratePerSecond, logger, stop);
    }

    /// <summary>
    /// Echoes on bound UDP sockets made elsewhere (passed by the service manager, ListenDatagram=, or
    /// handed down by the master this one upgrades),
    /// which it now owns, until <paramref name="stop"/> is cancelled or the server is disposed.
    /// </summary>
    public static UdpEchoServer Serve(IReadOnlyList<Socket> sockets, int ratePerSecond, ILogger logger, CancellationToken stop)
    {
        string limit = ratePerSecond == 0 ? "no rate limit" : $"at most {ratePerSecond} replies/s per source address";
        string ports = UdpReflectionGuard.ServicePortsText;
        foreach (Socket socket in sockets)
        {
            UdpLog.Started(logger, socket.LocalEndPoint, Environment.ProcessId, limit, ports);
        }

        return new UdpEchoServer([.. sockets], ratePerSecond, logger, stop);
    }

    public long Echoed => Interlocked.Read(ref _echoed);

    /// <summary>The bound UDP sockets, for an upgrade to hand to the new master.</summary>
    public IReadOnlyList<Socket> Sockets => _sockets;

    public long Refused => _refusals.Total;

    /// <summary>Stops receiving, closes the sockets, reports what is still uncounted.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        CloseSockets();
        await Task.WhenAll(_loops).ConfigureAwait(false);
        _refusals.Flush(Stopwatch.GetTimestamp(), force: true);
        UdpLog.Stopped(_logger, Echoed, Refused);
        _stop.Dispose();
    }

    private void CloseSockets()
    {
        foreach (Socket socket in _sockets)
        {
            socket.Dispose();
        }
    }

    private static Socket Bind(Socket listener, IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            if (endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                // "::" takes IPv4 datagrams too exactly when its TCP twin takes IPv4 clients.
                socket.DualMode = listener.DualMode;
            }

            socket.Bind(endpoint);
            return socket;
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new ServerStartException("udp: " + ServerListener.Describe(ex, new ListenEndpoint(endpoint.Address, endpoint.Port)), ex);
        }
    }

    private async Task EchoLoopAsync(Socket socket)
    {
        // Yield first: the constructor must not run a loop synchronously.
        await Task.Yield();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        var source = new SocketAddress(socket.AddressFamily);
        CancellationToken stop = _stop.Token;
        EndPoint? endpoint = socket.LocalEndPoint;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                int length;
                try
                {
                    length = await socket.ReceiveFromAsync(buffer.AsMemory(0, BufferSize), SocketFlags.None, source).ConfigureAwait(false);
                }
                catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.MessageSize)
                {
                    // An ICMP error for an earlier reply, or an oversized datagram: about one datagram, not the socket.
                    continue;
                }

                long now = Stopwatch.GetTimestamp();
                UdpRefusal refusal = _guard.Check(source, now);
                if (refusal != UdpRefusal.None)
                {
                    _refusals.Refused(refusal, source, now);
                    continue;
                }

                try
                {
                    await socket.SendToAsync(buffer.AsMemory(0, length), SocketFlags.None, source).ConfigureAwait(false);
                    Interlocked.Increment(ref _echoed);
                }
                catch (SocketException ex) when (ex.SocketErrorCode != SocketError.OperationAborted)
                {
                    // One sender's unreachable address must not stop the echo for the others.
                    UdpLog.ReplyFailed(_logger, UdpRefusalLog.Display(source), ex.SocketErrorCode);
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // Closed by the stop: the normal end.
        }
        catch (SocketException ex) when (stop.IsCancellationRequested || ex.SocketErrorCode == SocketError.OperationAborted)
        {
        }
        catch (Exception ex)
        {
            // Not expected; TCP keeps serving, and the stop must not be taken for a crash.
            UdpLog.LoopFailed(_logger, endpoint, ex.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Summaries of refusals that no later refusal triggered, so counts never sit unreported: checked
    /// every second, written once their reason's interval has passed.
    /// </summary>
    private async Task ReportLoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                _refusals.Flush(Stopwatch.GetTimestamp());
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
