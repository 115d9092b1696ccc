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
    private readonly Socket _listener;
    private readonly int _size;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly List<WorkerHandle> _workers = [];
    private readonly TaskCompletionSource _allReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _allExited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _ready;
    private bool _stopping;

    private readonly CancellationToken _stopRequested;

    public WorkerGroup(WorkerLauncher launcher, WorkerSettings settings, Socket listener, int size, ILogger logger, CancellationToken stopRequested)
    {
        _stopRequested = stopRequested;
        _launcher = launcher;
        _settings = settings;
        _listener = listener;
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
        WorkerHandle[] workers;
        lock (_gate)
        {
            _stopping = true;
            workers = [.. _workers];
            if (workers.Length == 0)
            {
                _allExited.TrySetResult();
            }
        }

        foreach (WorkerHandle worker in workers)
        {
            worker.Channel.Send(ChannelMessage.Shutdown(drain));
        }

        if (await ChildProcesses.Completes(_allExited.Task, drain + TimeSpan.FromSeconds(3)).ConfigureAwait(false))
        {
            return;
        }

        lock (_gate)
        {
            workers = [.. _workers];
        }

        foreach (WorkerHandle worker in workers)
        {
            _logger.LogWarning("worker {Pid} did not exit after the drain period; killing it", worker.Pid);
            ChildProcesses.TryKill(worker.Process);
        }

        await ChildProcesses.Completes(_allExited.Task, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
    }

    private void StartWorker()
    {
        WorkerHandle worker;
        try
        {
            (Process process, MasterChannel channel) = _launcher.Launch(_settings);
            worker = new WorkerHandle(process, channel);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            _logger.LogError("cannot start a worker process: {Reason}", ex.Message);
            return;
        }

        lock (_gate)
        {
            _workers.Add(worker);
        }

        // Every worker accepts on the master's own listening socket: one queue for all of them.
        worker.Channel.Send(ChannelMessage.Listen(), _listener.SafeHandle);
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
