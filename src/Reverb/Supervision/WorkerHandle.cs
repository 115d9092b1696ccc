using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using Reverb.Monitoring;
using Reverb.Protocol;
using Reverb.Serving;

namespace Reverb.Supervision;

/// <summary>The master's record of one worker process: its channel, state and current client.</summary>
internal sealed class WorkerHandle : IDisposable
{
    private readonly SemaphoreSlim _queryTurn = new(1, 1);
    private readonly Lock _gate = new();
    private readonly List<ClientStatus> _reported = [];
    private TaskCompletionSource<WorkerReport>? _pending;
    private long _pendingId;
    private long _lastRequestId;
    private ConnectionTotals _lastTotals;
    private readonly ILogger? _logger;
    private string? _condemned;

    /// <param name="logger">Where to say why a worker is killed (not answering, invalid messages).</param>
    public WorkerHandle(Process process, MasterChannel channel, int slot = 0, ILogger? logger = null)
    {
        Slot = slot;
        Process = process;
        Channel = channel;
        Pid = process.Id;
        _logger = logger;
        channel.NotAnswering += () => Condemn($"not answering: its channel stayed full for {MasterChannel.SendTimeout.TotalSeconds:0.#} s (stopped or stuck)");
    }

    /// <summary>Why the master killed this worker (not answering, invalid messages); null if it did not.</summary>
    public string? KilledBecause => Volatile.Read(ref _condemned);

    public Process Process { get; }

    public MasterChannel Channel { get; }

    public int Pid { get; }

    /// <summary>Which place in a fixed group this worker holds (the workers model); its replacement takes the same.</summary>
    public int Slot { get; }

    public WorkerState State { get; set; } = WorkerState.Starting;

    /// <summary>The last totals the worker reported (asked or, as it exits, unasked).</summary>
    public ConnectionTotals LastTotals
    {
        get
        {
            lock (_gate)
            {
                return _lastTotals;
            }
        }
    }

    /// <summary>Source addresses of the clients the master admitted for this worker (workers model, --max-conns-per-source).</summary>
    public List<IPAddress> Admitted { get; } = [];

    /// <summary>
    /// Hands each message from the worker to <paramref name="onMessage"/> until its channel closes
    /// (it exited or died), then waits, bounded, for the runtime to reap it so its exit status is known.
    /// Replies to <see cref="QueryAsync"/> are taken here. A worker that sends an invalid message is killed.
    /// </summary>
    public async Task ListenUntilExitAsync(Action<IWorkerMessage> onMessage)
    {
        while (await Channel.ReceiveAsync(CancellationToken.None).ConfigureAwait(false) is { } received)
        {
            if (KilledBecause is not null)
            {
                continue;
            }

            if (received.Message is not { } message)
            {
                Condemn($"sent an invalid message ({received.Problem})");
                continue;
            }

            try
            {
                switch (message)
                {
                    case ChannelMessage.Report report:
                        TakeReport(report);
                        break;
                    case ChannelMessage.Totals totals:
                        TakeTotals(totals);
                        break;
                    default:
                        onMessage(message);
                        break;
                }
            }
            catch (Exception ex)
            {
                // Never let one message end the watch over this worker: that would leave it unsupervised.
                Condemn($"a {ChannelCodec.KindOf(message)} message from it could not be handled: {ex.Message}");
            }
        }

        lock (_gate)
        {
            _pending?.TrySetCanceled();
        }

        await ChildProcesses.Completes(Process.WaitForExitAsync(), TimeSpan.FromSeconds(5)).ConfigureAwait(false);
    }

    /// <summary>Asks the worker for its open connections and totals; null if it does not answer within <paramref name="timeout"/>.</summary>
    /// <param name="totalsOnly">Ask for the totals alone (the report then lists no clients).</param>
    public async Task<WorkerReport?> QueryAsync(TimeSpan timeout, CancellationToken cancellationToken, bool totalsOnly = false)
    {
        if (!await _queryTurn.WaitAsync(timeout, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        try
        {
            TaskCompletionSource<WorkerReport> pending = new(TaskCreationOptions.RunContinuationsAsynchronously);
            long id;
            lock (_gate)
            {
                id = ++_lastRequestId;
                _pendingId = id;
                _pending = pending;
                _reported.Clear();
            }

            if (!Channel.Send(new ChannelMessage.Query(id, totalsOnly)))
            {
                return null;
            }

            try
            {
                return await pending.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return null;
            }
            finally
            {
                lock (_gate)
                {
                    _pending = null;
                }
            }
        }
        finally
        {
            _queryTurn.Release();
        }
    }

    private void TakeReport(ChannelMessage.Report report)
    {
        lock (_gate)
        {
            if (_pending is not null && report.RequestId == _pendingId)
            {
                _reported.Add(new ClientStatus(report.Client?.ToString() ?? "unknown peer", report.BytesIn, report.BytesOut, report.Since));
            }
        }
    }

    private void TakeTotals(ChannelMessage.Totals totals)
    {
        lock (_gate)
        {
            _lastTotals = totals.Figures;
            if (_pending is not null && totals.RequestId == _pendingId)
            {
                _pending.TrySetResult(new WorkerReport([.. _reported], totals.Figures));
            }
        }
    }

    /// <summary>Kills the worker, once, saying why; its exit is then handled like any death (it is replaced).</summary>
    private void Condemn(string why)
    {
        if (Interlocked.CompareExchange(ref _condemned, why, null) is not null)
        {
            return;
        }

        if (_logger is not null)
        {
            WorkerLog.Condemned(_logger, Pid, why);
        }

        ChildProcesses.TryKill(Process);
    }

    public void Dispose()
    {
        Channel.Dispose();
        Process.Dispose();
    }
}
