namespace Reverb.Models;

/// <summary>
/// What the master asks of a running model besides stopping: a graceful reload (SIGHUP: replace the
/// serving processes), and, before an upgrade's stop, that the stop be a handover (a new master
/// now serves the same listening sockets: stop accepting and let every client finish, with no deadline).
/// </summary>
internal sealed class ServeControl
{
    private Func<bool>? _reload;
    private int _handingOver;

    /// <summary>The stop that follows is an upgrade's handover, not a shutdown.</summary>
    public bool HandingOver => Volatile.Read(ref _handingOver) == 1;

    public void HandOver() => Volatile.Write(ref _handingOver, 1);

    /// <summary>The model's reload, called on SIGHUP (returns false when it refused and logged why).</summary>
    public void OnReload(Func<bool> reload) => Volatile.Write(ref _reload, reload);

    /// <summary>Asks the model to reload; null when the model has none (yet, or at all).</summary>
    public bool? RequestReload() => Volatile.Read(ref _reload)?.Invoke();
}
