using Microsoft.Extensions.Logging;

namespace Reverb.Hosting;

/// <summary>
/// Logs connections refused by --max-conns-per-source: the first at once, then at most one line a
/// second counting the others, so a flood from one address cannot flood the log.
/// </summary>
internal sealed class PerSourceRefusalLog
{
    private readonly LogThrottle _throttle = new(TimeSpan.FromSeconds(1));
    private readonly ILogger _logger;
    private long _unreported;

    public PerSourceRefusalLog(ILogger logger) => _logger = logger;

    public void Refused(string peer, int max)
    {
        if (!_throttle.Allow())
        {
            Interlocked.Increment(ref _unreported);
            return;
        }

        long more = Interlocked.Exchange(ref _unreported, 0);
        ServerLog.RefusedPerSource(_logger, peer, max, more > 0 ? $"; {more} more refused since the last such line" : string.Empty);
    }
}
