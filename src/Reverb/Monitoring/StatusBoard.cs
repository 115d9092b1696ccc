using Reverb.Interop;

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
    private volatile IStatusSource? _source;
    private volatile string _state = "starting";

    public StatusBoard(string model, IReadOnlyList<string> listening, Func<(long Echoed, long Refused)>? udp)
    {
        _model = model;
        _listening = listening;
        _udp = udp;
    }

    public string Model => _model;

    /// <summary>The model is up: from now on status shows its processes and clients.</summary>
    public void Attach(IStatusSource source)
    {
        _source = source;
        _state = "serving";
    }

    public void Draining() => _state = "draining";

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
        ProcessStatus master = new(pid, Libc.getppid(), "master", _state, model.MasterClients);
        ConnectionTotals t = model.Totals;
        return new ServerStatus(
            pid,
            _model,
            _state,
            _started,
            _listening,
            [master, .. model.Workers],
            new StatusTotals(t.Accepted, t.Active, t.RejectedPerSource, t.RejectedProxyHeader, t.BytesIn, t.BytesOut, model.WorkerCrashes, udp?.Echoed, udp?.Refused, byState));
    }
}
