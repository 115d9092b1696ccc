using Reverb.Interop;
using Reverb.Serving;

namespace Reverb.Monitoring;

/// <summary>
/// The master's one view of the running server, for <c>reverb status</c> and <c>--metrics</c>:
/// the model attaches itself once it runs; the serve command adds the listeners and UDP figures.
/// </summary>
internal sealed class StatusBoard
{
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private readonly string _model;
    private readonly IReadOnlyList<string> _listening;
    private readonly Func<(long Echoed, long Refused)>? _udp;
    private readonly TaskCompletionSource _serving = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile IStatusSource? _source;
    private string _state = "starting";

    public StatusBoard(string model, IReadOnlyList<string> listening, Func<(long Echoed, long Refused)>? udp)
    {
        _model = model;
        _listening = listening;
        _udp = udp;
    }

    public string Model => _model;

    /// <summary>starting, serving or draining; reading it asks nothing of the model (health checks).</summary>
    public string State => Volatile.Read(ref _state);

    /// <summary>Completes when the model is attached: every listener open and accepting (systemd's READY=1).</summary>
    public Task Serving => _serving.Task;

    /// <summary>The model is up: from now on status shows its processes and clients.</summary>
    public void Attach(IStatusSource source)
    {
        _source = source;

        // A drain that began while the model was starting stays a drain.
        Interlocked.CompareExchange(ref _state, "serving", "starting");
        _serving.TrySetResult();
    }

    /// <summary>The drain has begun (a stop signal); final, and idempotent.</summary>
    public void Draining() => Volatile.Write(ref _state, "draining");

    /// <param name="totalsOnly">Leave out the per-client rows (metrics): the model then asks its workers for totals alone.</param>
    public async Task<ServerStatus> CaptureAsync(CancellationToken cancellationToken, bool totalsOnly = false)
    {
        ModelStatus model = _source switch
        {
            null => new ModelStatus([], [], default, 0),
            { } source when totalsOnly => await source.CaptureTotalsAsync(cancellationToken).ConfigureAwait(false),
            { } source => await source.CaptureAsync(cancellationToken).ConfigureAwait(false),
        };
        (long Echoed, long Refused)? udp = _udp?.Invoke();
        var byState = model.Workers.GroupBy(w => w.State).ToDictionary(g => g.Key, g => g.Count());
        int pid = Environment.ProcessId;
        string state = State;
        ProcessStatus master = new(pid, Posix.getppid(), "master", state, model.MasterClients);
        ConnectionTotals t = model.Totals;
        return new ServerStatus(
            pid,
            _model,
            state,
            _started,
            _listening,
            [master, .. model.Workers],
            new StatusTotals(t.Accepted, t.Active, t.RejectedPerSource, t.RejectedProxyHeader, t.BytesIn, t.BytesOut, model.WorkerCrashes, udp?.Echoed, udp?.Refused, byState));
    }
}
