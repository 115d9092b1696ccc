using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Reverb.Echo;
using Reverb.Listening;
using Reverb.Proxy;

namespace Reverb.Serving;

/// <summary>
/// Accepts on its listening sockets and runs every connection inside this process, either on the
/// event loop or on a thread per connection. Bounds concurrent clients (beyond the bound, clients
/// wait in the listen queue) and drains on shutdown. Used by the async and threads models and by
/// each worker process of the workers model.
/// </summary>
internal sealed class AcceptLoopServer : IDisposable
{

    private readonly IReadOnlyList<Socket> _listeners;
    private readonly ConnectionDispatch _dispatch;
    private readonly ClientSession _session;
    private readonly int _maxClients;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _slots;
    private readonly CancellationTokenSource _closeConnections = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly int _pid = Environment.ProcessId;
    private int _active;
    private bool _draining;
    private readonly LogThrottle _capNotice = new(TimeSpan.FromSeconds(10));
    private readonly LogThrottle _outOfDescriptors = new(TimeSpan.FromSeconds(10));
    private readonly LogThrottle _noThread = new(TimeSpan.FromSeconds(10));
    private readonly PerSourceGate? _perSource;

    /// <param name="admission">
    /// --max-conns-per-source: asked about every client before its first byte (behind a --trusted-proxy,
    /// about the real client its header names, once read); null admits all.
    /// </param>
    /// <param name="proxyTimeout">--proxy-timeout; null: the default.</param>
    /// <param name="trusted">--trusted-proxy: whose PROXY headers are believed; null: anyone's.</param>
    public AcceptLoopServer(IReadOnlyList<Socket> listeners, ConnectionDispatch dispatch, EchoOptions echo, bool proxyProtocol, int maxClients, IConnectionAdmission? admission, ILogger logger, TimeSpan? proxyTimeout = null, TrustedProxies? trusted = null)
    {
        _perSource = admission is null ? null : new PerSourceGate(admission, Connections, logger);
        _session = new ClientSession(echo, proxyProtocol, logger, proxyTimeout, trusted);
        _listeners = listeners;
        _dispatch = dispatch;
        _maxClients = maxClients;
        _logger = logger;
        _slots = new SemaphoreSlim(maxClients, maxClients);
    }

    public int ActiveConnections => Volatile.Read(ref _active);

    /// <summary>The clients being served and the totals so far, for status and metrics.</summary>
    public ConnectionTable Connections { get; } = new();

    /// <summary>Accepts until <paramref name="stopAccepting"/> is cancelled or the listeners are closed; then call <see cref="DrainAsync"/>.</summary>
    public Task AcceptAsync(CancellationToken stopAccepting) =>
        Task.WhenAll(_listeners.Select(listener => AcceptFromAsync(listener, stopAccepting)));

    private async Task AcceptFromAsync(Socket listener, CancellationToken stopAccepting)
    {
        try
        {
            while (true)
            {
                if (!_slots.Wait(0, CancellationToken.None))
                {
                    NoticeAtCap();
                    await _slots.WaitAsync(stopAccepting).ConfigureAwait(false);
                }

                if (await ListenerAccept.AcceptIntoSlotAsync(listener, _slots, _outOfDescriptors, _logger, stopAccepting).ConfigureAwait(false) is not { } client)
                {
                    continue;
                }

                Interlocked.Increment(ref _active);
                Start(client);
            }
        }
        catch (OperationCanceledException) when (stopAccepting.IsCancellationRequested)
        {
        }
        catch (ObjectDisposedException)
        {
            // The listener was closed under us: same as being told to stop.
        }
    }

    /// <summary>Call only after <see cref="DrainAsync"/> has returned.</summary>
    public void Dispose()
    {
        // A thread stuck past the drain deadline may still release its slot: then leave both to the GC.
        if (Volatile.Read(ref _active) == 0)
        {
            _closeConnections.Dispose();
            _slots.Dispose();
        }
    }

    /// <summary>Waits for open connections to finish; those still open after <paramref name="drain"/> are closed.</summary>
    /// <param name="drain">Null waits for every client to finish by itself.</param>
    public async Task DrainAsync(TimeSpan? drain)
    {
        Volatile.Write(ref _draining, true);
        if (Volatile.Read(ref _active) == 0)
        {
            return;
        }

        if (drain is { } limit)
        {
            try
            {
                await _drained.Task.WaitAsync(limit).ConfigureAwait(false);
                return;
            }
            catch (TimeoutException)
            {
                await _closeConnections.CancelAsync().ConfigureAwait(false);
            }

            // Closing wakes every session; give them a moment to log and release.
            try
            {
                await _drained.Task.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                ServerLog.DrainTimedOut(_logger, Volatile.Read(ref _active));
            }
        }
        else
        {
            await _drained.Task.ConfigureAwait(false);
        }
    }

    private void Start(Socket client)
    {
        if (_dispatch == ConnectionDispatch.Thread)
        {
            // Small stacks: the echo loop is shallow, and the default would reserve far more per client.
            var thread = new Thread(() => ServeAsync(client).GetAwaiter().GetResult(), maxStackSize: 256 * 1024)
            {
                IsBackground = true,
                Name = "reverb client",
            };
            try
            {
                thread.Start();
            }
            catch (Exception ex) when (ex is OutOfMemoryException or ThreadStartException)
            {
                // The system refused a thread (a pid or tasks limit, or memory): this client cannot be
                // served; close it and free its place, and keep serving everyone else.
                NoThread(client, ex);
            }
        }
        else
        {
            // Not fire-and-forget: the task is owned by the count of active clients (DrainAsync waits
            // until it is zero), and it never faults (ServeAsync catches and logs every failure). So
            // no collection of tasks is kept: a connection costs no more than its own state machine.
            _ = ServeAsync(client);
        }
    }

    /// <summary>Serves one client to the end; never throws (a failure is logged), and always frees the client's slot.</summary>
    private async Task ServeAsync(Socket client)
    {
        string peer = "unknown peer";
        IPEndPoint? endpoint = null;
        bool admitted = false;
        IPEndPoint? admittedReal = null;
        LiveConnection? connection = null;
        EchoResult result = default;
        try
        {
            peer = PeerName(client);
            endpoint = PeerEndPoint(client);

            // Behind a trusted proxy every client shares the proxy's address: count the real one, from its header.
            bool countRealClient = _perSource is not null && _session.CountsRealClient(endpoint?.Address);
            if (_perSource is not null && endpoint is not null && !countRealClient)
            {
                admitted = await _perSource.AdmitAsync(endpoint, peer, _closeConnections.Token).ConfigureAwait(false);
                if (!admitted)
                {
                    return;
                }
            }

            connection = Connections.Open(endpoint, peer);
            ServerLog.Accepted(_logger, peer, _pid);
            result = await _session.RunAsync(
                client,
                peer,
                blocking: _dispatch == ConnectionDispatch.Thread,
                connection.Counters,
                (real, header) =>
                {
                    connection.Name = real;
                    connection.Client = header.Source;
                    ServerLog.Proxied(_logger, real, _pid);
                },
                _closeConnections.Token,
                countRealClient ? AdmitRealClientAsync : null).ConfigureAwait(false);
            ServerLog.Finished(_logger, connection.Name, _pid, result.BytesIn, result.BytesOut, result.Duration.TotalSeconds, result.End.ToText());
        }
        catch (OperationCanceledException) when (_closeConnections.IsCancellationRequested)
        {
            // Shut down while waiting for the master's admission.
        }
        catch (Exception ex)
        {
            // A fault while serving one client must never reach the others.
            ServerLog.ServeFailed(_logger, peer, ex.Message);
        }
        finally
        {
            try
            {
                client.Dispose();
                if (connection is not null)
                {
                    Connections.Close(connection, result.BytesIn, result.BytesOut, result.End);
                }

                if (admitted)
                {
                    _perSource!.Release(endpoint!);
                }

                if (admittedReal is not null)
                {
                    _perSource!.Release(admittedReal);
                }
            }
            catch (Exception ex)
            {
                ServerLog.ServeFailed(_logger, peer, ex.Message);
            }
            finally
            {
                FreeSlot();
            }
        }

        async ValueTask<bool> AdmitRealClientAsync(ProxyHeader header)
        {
            if (header.Source is not { } real)
            {
                // The proxy's own health check (LOCAL, UNKNOWN): no client to count.
                return true;
            }

            if (!await _perSource!.AdmitAsync(real, $"{real} via {peer}", _closeConnections.Token).ConfigureAwait(false))
            {
                return false;
            }

            admittedReal = real;
            return true;
        }
    }

    private void FreeSlot()
    {
        _slots.Release();
        if (Interlocked.Decrement(ref _active) == 0 && Volatile.Read(ref _draining))
        {
            _drained.TrySetResult();
        }
    }

    private void NoThread(Socket client, Exception ex)
    {
        string peer = PeerName(client);
        client.Dispose();
        FreeSlot();
        if (_noThread.Allow(out long held))
        {
            ServerLog.NoThread(_logger, peer, ex.Message, LogThrottle.More(held));
        }
    }

    private void NoticeAtCap()
    {
        if (_capNotice.Allow())
        {
            ServerLog.AtClientLimit(_logger, _maxClients);
        }
    }

    internal static IPEndPoint? PeerEndPoint(Socket socket)
    {
        try
        {
            return socket.RemoteEndPoint as IPEndPoint;
        }
        catch (SocketException)
        {
            return null;
        }
    }

    internal static string PeerName(Socket socket)
    {
        try
        {
            return socket.RemoteEndPoint?.ToString() ?? "unknown peer";
        }
        catch (SocketException)
        {
            return "unknown peer";
        }
    }
}
