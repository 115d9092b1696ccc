using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Reverb.Echo;
using Reverb.Hosting;
using Reverb.Monitoring;

namespace Reverb.Supervision;

/// <summary>
/// The process model's supervisor: keeps a pool of idle worker processes ready ahead of demand,
/// hands each client to one of them, notices workers that die (reporting the client they took with
/// them) and replaces them. The runtime reaps every child it starts, so no zombie remains.
/// </summary>
internal sealed class WorkerPool : IStatusSource
{
    private static readonly TimeSpan MaintenanceInterval = TimeSpan.FromSeconds(1);
    private const int MaxBurst = 64;

    private readonly WorkerLauncher _launcher;
    private readonly WorkerSettings _settings;
    private readonly PoolOptions _options;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly List<WorkerHandle> _workers = [];
    private readonly Channel<WorkerHandle> _idle = Channel.CreateUnbounded<WorkerHandle>();
    private readonly TaskCompletionSource _allExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _readyChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _idleCount;
    private int _startingCount;

    // Extra workers to start while clients outrun the spares; doubles at each shortage (like
    // prefork's spawn rate), back to zero once spares are plentiful again.
    private int _burst;
    private bool _stopping;
    private readonly LogThrottle _capNotice = new(TimeSpan.FromSeconds(10));

    private readonly CancellationToken _stopRequested;
    private readonly SourceLimit? _perSource;
    private long _crashes;

    /// <param name="perSource">--max-conns-per-source: the accept loop admits, the pool releases when a client has gone.</param>
    /// <param name="stopRequested">Once cancelled, workers that exit are not replaced (a signal may reach them before the pool is stopped).</param>
    public WorkerPool(WorkerLauncher launcher, WorkerSettings settings, PoolOptions options, SourceLimit? perSource, ILogger logger, CancellationToken stopRequested)
    {
        _perSource = perSource;
        _stopRequested = stopRequested;
        _launcher = launcher;
        _settings = settings;
        _options = options;
        _logger = logger;
    }

    /// <summary>Every client handed to a worker, open or gone, for status and metrics.</summary>
    public ConnectionTable Connections { get; } = new();

    /// <summary>Starts the minimum of spare workers and waits until they are ready.</summary>
    public async Task StartAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        EnsureSpares();
        _ = RetireSurplusAsync();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_idleCount >= Math.Min(_options.MinSpare, _options.MaxWorkers))
                {
                    return;
                }

                changed = _readyChanged.Task;
            }

            try
            {
                await changed.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"the worker processes did not become ready within {timeout.TotalSeconds:0} s");
            }
        }
    }

    /// <summary>Waits for an idle worker and reserves it. While every worker is busy at the cap, new clients wait in the listen queue.</summary>
    public async ValueTask<WorkerHandle> AcquireIdleAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            if (!_idle.Reader.TryRead(out WorkerHandle? worker))
            {
                NoticeIfAtCap();
                lock (_gate)
                {
                    _burst = Math.Min((_burst * 2) + 1, MaxBurst);
                }

                EnsureSpares();
                worker = await _idle.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }

            lock (_gate)
            {
                // Entries of workers that died or were retired while queued are skipped.
                if (worker.State != WorkerState.Idle)
                {
                    continue;
                }

                worker.State = WorkerState.Reserved;
                _idleCount--;
            }

            EnsureSpares();
            return worker;
        }
    }

    /// <summary>Gives back a reserved worker that got no client.</summary>
    public void Release(WorkerHandle worker)
    {
        lock (_gate)
        {
            if (worker.State != WorkerState.Reserved)
            {
                return;
            }

            worker.State = WorkerState.Idle;
            _idleCount++;
        }

        _idle.Writer.TryWrite(worker);
    }

    /// <summary>Hands the connected socket to the worker. False when the worker has just died: pick another.</summary>
    public bool Assign(WorkerHandle worker, Socket client, LiveConnection connection)
    {
        lock (_gate)
        {
            worker.State = WorkerState.Busy;
            worker.Client = connection;
        }

        return worker.Channel.Send(ChannelMessage.Serve(connection.Id), client.SafeHandle);
    }

    /// <summary>Asks every worker to finish (closing connections after <paramref name="drain"/>) and waits for all to exit.</summary>
    public async Task StopAsync(TimeSpan drain)
    {
        lock (_gate)
        {
            _stopping = true;
            if (_workers.Count == 0 && _startingCount == 0)
            {
                _allExited.TrySetResult();
            }
        }

        await ChildProcesses.ShutDownAsync(LiveWorkers, _allExited.Task, drain, _logger).ConfigureAwait(false);
    }

    private WorkerHandle[] LiveWorkers()
    {
        lock (_gate)
        {
            return [.. _workers];
        }
    }

    /// <summary>
    /// Retires idle workers beyond --max-spare gradually, once a second like Apache's prefork, so a
    /// burst that ends and comes back does not make the pool kill and respawn workers in a loop.
    /// </summary>
    private async Task RetireSurplusAsync()
    {
        using var timer = new PeriodicTimer(MaintenanceInterval);
        while (await TickAsync(timer).ConfigureAwait(false))
        {
            var surplus = new List<WorkerHandle>();
            lock (_gate)
            {
                if (_stopping)
                {
                    return;
                }

                int excess = _idleCount - _options.MaxSpare;
                int toRetire = excess > 0 ? Math.Max(1, excess / 4) : 0;
                foreach (WorkerHandle worker in _workers)
                {
                    if (surplus.Count == toRetire)
                    {
                        break;
                    }

                    if (worker.State == WorkerState.Idle)
                    {
                        worker.State = WorkerState.Retiring;
                        _idleCount--;
                        surplus.Add(worker);
                    }
                }
            }

            foreach (WorkerHandle worker in surplus)
            {
                worker.Channel.Send(ChannelMessage.Retire());
            }
        }
    }

    private async Task<bool> TickAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stopRequested).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void EnsureSpares()
    {
        int toStart;
        lock (_gate)
        {
            if (_stopping || _stopRequested.IsCancellationRequested)
            {
                return;
            }

            int deficit = _options.MinSpare + _burst - (_idleCount + _startingCount);
            int room = _options.MaxWorkers - _workers.Count - _startingCount;
            toStart = Math.Min(deficit, room);
            if (toStart <= 0)
            {
                return;
            }

            _startingCount += toStart;
        }

        // Process creation stays off the accept path.
        _ = Task.Run(() =>
        {
            for (int i = 0; i < toStart; i++)
            {
                StartWorker();
            }
        });
    }

    private void StartWorker()
    {
        if (_launcher.TryLaunch(_settings, _logger) is not { } worker)
        {
            lock (_gate)
            {
                _startingCount--;
            }

            return;
        }

        lock (_gate)
        {
            _workers.Add(worker);
        }

        _logger.LogDebug("started worker {Pid}", worker.Pid);
        _ = MonitorAsync(worker);
    }

    private async Task MonitorAsync(WorkerHandle worker)
    {
        await worker.ListenUntilExitAsync(message =>
        {
            switch (message.Type)
            {
                case ChannelMessageType.Ready:
                    OnReady(worker);
                    break;
                case ChannelMessageType.Done:
                    OnDone(worker, message);
                    break;
                case ChannelMessageType.Client:
                    OnClient(worker, message);
                    break;
            }
        }).ConfigureAwait(false);
        OnExited(worker);
    }

    private void OnReady(WorkerHandle worker)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            if (worker.State != WorkerState.Starting)
            {
                return;
            }

            _startingCount--;
            worker.State = WorkerState.Idle;
            _idleCount++;
            if (_idleCount > _options.MinSpare)
            {
                _burst = 0;
            }

            changed = _readyChanged;
            _readyChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        _idle.Writer.TryWrite(worker);
        changed.TrySetResult();
    }

    private void OnClient(WorkerHandle worker, ChannelMessage message)
    {
        string client;
        lock (_gate)
        {
            if (worker.Client is not { } connection || connection.Id != message.C)
            {
                return;
            }

            IPEndPoint? real = message.ClientEndPoint();
            client = real is not null ? $"{real} via {connection.Name}" : $"{connection.Name} (proxy health check)";
            connection.Name = client;
            connection.Client = real;
        }

        ServerLog.Proxied(_logger, client, worker.Pid);
    }

    private void OnDone(WorkerHandle worker, ChannelMessage message)
    {
        LiveConnection? client;
        bool retire;
        lock (_gate)
        {
            client = worker.Client;
            worker.Client = null;
            worker.Served++;
            bool recycled = _options.RecycleAfter > 0 && worker.Served >= _options.RecycleAfter;
            retire = _stopping || recycled;
            if (retire)
            {
                worker.State = WorkerState.Retiring;
            }
            else
            {
                worker.State = WorkerState.Idle;
                _idleCount++;
            }
        }

        if (client is not null)
        {
            TimeSpan duration = Stopwatch.GetElapsedTime(client.StartedTimestamp);
            ClientGone(client, message.B, message.C, (EchoEnd)message.Code);
            ServerLog.Finished(_logger, client.Name, worker.Pid, message.B, message.C, duration.TotalSeconds, ((EchoEnd)message.Code).ToText());
        }

        if (retire)
        {
            worker.Channel.Send(ChannelMessage.Retire());
        }
        else
        {
            _idle.Writer.TryWrite(worker);
        }
    }

    private void OnExited(WorkerHandle worker)
    {
        WorkerState state;
        LiveConnection? client;
        bool stopping;
        lock (_gate)
        {
            state = worker.State;
            client = worker.Client;
            stopping = _stopping || _stopRequested.IsCancellationRequested;
            _workers.Remove(worker);
            if (state == WorkerState.Starting)
            {
                _startingCount--;
            }
            else if (state == WorkerState.Idle)
            {
                _idleCount--;
            }

            worker.State = WorkerState.Exited;
            if (_stopping && _workers.Count == 0 && _startingCount == 0)
            {
                _allExited.TrySetResult();
            }
        }

        string how = ExitDescription.Of(worker.Process);
        if (client is not null)
        {
            Interlocked.Increment(ref _crashes);
            ClientGone(client, 0, 0, EchoEnd.Error);
            _logger.LogError(
                "worker {Pid} died ({How}) while serving {Peer}; that client is disconnected, every other client is unaffected{Replacing}",
                worker.Pid, how, client.Name, stopping ? string.Empty : "; starting a replacement");
        }
        else if (state is WorkerState.Retiring)
        {
            _logger.LogDebug("worker {Pid} retired ({How})", worker.Pid, how);
        }
        else if (!stopping)
        {
            Interlocked.Increment(ref _crashes);
            _logger.LogWarning("worker {Pid} exited unexpectedly ({How}) while idle; starting a replacement", worker.Pid, how);
        }

        worker.Dispose();
        EnsureSpares();
    }

    private void ClientGone(LiveConnection client, long bytesIn, long bytesOut, EchoEnd end)
    {
        Connections.Close(client, bytesIn, bytesOut, end);
        if (_perSource is not null && client.Peer is { } peer)
        {
            _perSource.Release(peer.Address);
        }
    }

    /// <summary>Every worker with its state; busy ones are asked how far their client has got.</summary>
    public async Task<ModelStatus> CaptureAsync(CancellationToken cancellationToken)
    {
        (WorkerHandle Worker, WorkerState State, LiveConnection? Client)[] workers;
        lock (_gate)
        {
            workers = [.. _workers.Select(w => (w, w.State, w.Client))];
        }

        WorkerReport?[] reports = await Task.WhenAll(workers.Select(w => w.Client is null
            ? Task.FromResult<WorkerReport?>(null)
            : w.Worker.QueryAsync(TimeSpan.FromSeconds(1), cancellationToken))).ConfigureAwait(false);

        // The master's own counters of a handed-over client stay at zero: its worker knows the bytes.
        ConnectionTotals totals = Connections.Totals();
        var processes = new List<ProcessStatus>(workers.Length);
        for (int i = 0; i < workers.Length; i++)
        {
            (WorkerHandle worker, WorkerState state, LiveConnection? client) = workers[i];
            IReadOnlyList<ClientStatus> clients = reports[i]?.Clients ?? (client is null ? [] : [ClientStatus.Of(client)]);
            totals = totals with
            {
                BytesIn = totals.BytesIn + clients.Sum(c => c.BytesIn),
                BytesOut = totals.BytesOut + clients.Sum(c => c.BytesOut),
            };
            processes.Add(new ProcessStatus(worker.Pid, Environment.ProcessId, "worker", state.ToString().ToLowerInvariant(), clients));
        }

        return new ModelStatus([], processes, totals, Interlocked.Read(ref _crashes));
    }

    private void NoticeIfAtCap()
    {
        lock (_gate)
        {
            if (_workers.Count + _startingCount < _options.MaxWorkers || _startingCount > 0 || !_capNotice.Allow())
            {
                return;
            }
        }

        _logger.LogWarning("all {Max} workers are busy (--max-workers); new clients wait in the listen queue", _options.MaxWorkers);
    }
}
