using System.Net;
using Microsoft.Extensions.Logging;

namespace Reverb.Serving;

/// <summary>
/// --max-conns-per-source where clients are accepted: asks the admission about each new client and,
/// when it is refused, counts it and logs it (the first at once, then at most one line a second
/// counting the others, so a flood from one address cannot flood the log).
/// </summary>
internal sealed class PerSourceGate
{
    private readonly IConnectionAdmission _admission;
    private readonly ConnectionTable _connections;
    private readonly ILogger _logger;
    private readonly LogThrottle _throttle = new(TimeSpan.FromSeconds(1));
    private long _unreported;

    public PerSourceGate(IConnectionAdmission admission, ConnectionTable connections, ILogger logger)
    {
        _admission = admission;
        _connections = connections;
        _logger = logger;
    }

    /// <summary>True: serve it, and <see cref="Release"/> it when it has gone. False: refused, counted and logged; close it.</summary>
    public async ValueTask<bool> AdmitAsync(IPEndPoint peer, string name, CancellationToken cancellationToken)
    {
        if (await _admission.AdmitAsync(peer.Address, cancellationToken).ConfigureAwait(false))
        {
            return true;
        }

        Refused(name);
        return false;
    }

    /// <summary>A client refused elsewhere (by the forking process): counted and logged as here.</summary>
    /// <param name="counted">The connection is already in the table (opened, then closed as refused): count only the refusal.</param>
    public void Refused(string name, bool counted = false)
    {
        if (counted)
        {
            _connections.CountRefusal();
        }
        else
        {
            _connections.RejectPerSource();
        }

        if (!_throttle.Allow())
        {
            Interlocked.Increment(ref _unreported);
            return;
        }

        long more = Interlocked.Exchange(ref _unreported, 0);
        ServerLog.RefusedPerSource(_logger, name, _admission.Max, more > 0 ? $"; {more} more refused since the last such line" : string.Empty);
    }

    public void Release(IPEndPoint peer) => _admission.Release(peer.Address);
}
