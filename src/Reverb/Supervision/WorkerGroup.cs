using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Reverb.Supervision;

/// <summary>
/// The workers model's supervisor: a fixed number of worker processes that all accept on one shared
/// listening socket. The master stays off the accept and data paths; it only keeps the group at
/// full strength, replacing (and logging) any worker that dies.
/// </summary>
internal sealed class WorkerGroup
{
    private readonly WorkerLauncher _launcher;
    private readonly WorkerSettings _settings;
    private readonly IReadOnlyList<Socket> _listeners;
    private readonly int _size;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly List<WorkerHandle> _workers = [];
    private readonly TaskCompletionSource _allReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _allExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _ready;
    private bool _stopping;

    private readonly CancellationToken _stopRequested;

    public WorkerGroup(WorkerLauncher launcher, WorkerSettings settings, IReadOnlyList<Socket> listeners, int size, ILogger logger, CancellationToken stopRequested)
    {
        _stopRequested = stopRequested;
        _launcher = launcher;
        _settings = settings;
        _listeners = listeners;
        _size = size;
        _logger = logger;
    }

    public IReadOnlyList<int> Pids()
    {
        lock (_gate)
        {
            return [.. _workers.Select(w => w.Pid)];
        }
    }

    public async Task StartAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        for (int i = 0; i < _size; i++)
        {
            StartWorker();
        }

        try
        {
            await _allReady.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"the worker processes did not become ready within {timeout.TotalSeconds:0} s");
        }
    }

    public async Task StopAsync(TimeSpan drain)
    {
        lock (_gate)
        {
            _stopping = true;
            if (_workers.Count == 0)
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

    private void StartWorker()
    {
        if (_launcher.TryLaunch(_settings, _logger) is not { } worker)
        {
            return;
        }

        lock (_gate)
        {
            _workers.Add(worker);
        }

        // Every worker accepts on the master's own listening sockets: one queue each, shared by all workers.
        for (int i = 0; i < _listeners.Count; i++)
        {
            worker.Channel.Send(ChannelMessage.Listen(i, _listeners.Count), _listeners[i].SafeHandle);
        }
        _ = MonitorAsync(worker);
    }

    private async Task MonitorAsync(WorkerHandle worker)
    {
        while (await worker.Channel.ReceiveAsync(CancellationToken.None).ConfigureAwait(false) is { } message)
        {
            if (message.Type == ChannelMessageType.Ready)
            {
                lock (_gate)
                {
                    worker.State = WorkerState.Busy;
                    if (++_ready >= _size)
                    {
                        _allReady.TrySetResult();
                    }
                }
            }
        }

        await ChildProcesses.Completes(worker.Process.WaitForExitAsync(), TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        bool stopping;
        lock (_gate)
        {
            _workers.Remove(worker);
            stopping = _stopping || _stopRequested.IsCancellationRequested;
            if (stopping && _workers.Count == 0)
            {
                _allExited.TrySetResult();
            }
        }

        if (!stopping)
        {
            _logger.LogError(
                "worker {Pid} died ({How}); its clients are disconnected, queued and other workers' clients are unaffected; starting a replacement",
                worker.Pid, ExitDescription.Of(worker.Process));
            StartWorker();
        }

        worker.Dispose();
    }
}
