namespace Reverb.Supervision;

/// <summary>
/// How long to wait before starting a process that died again: nothing after a long life, then
/// doubling from 100 ms to 10 s while it keeps dying young, so a crash loop costs no CPU and floods no log.
/// </summary>
internal sealed class RestartDelay
{
    private static readonly TimeSpan First = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Healthy = TimeSpan.FromSeconds(30);
    private TimeSpan _last = TimeSpan.Zero;

    /// <param name="uptime">How long the process that died had run.</param>
    public TimeSpan Next(TimeSpan uptime)
    {
        if (uptime >= Healthy)
        {
            _last = TimeSpan.Zero;
            return TimeSpan.Zero;
        }

        _last = _last == TimeSpan.Zero ? First : TimeSpan.FromTicks(Math.Min(_last.Ticks * 2, Max.Ticks));
        return _last;
    }
}
