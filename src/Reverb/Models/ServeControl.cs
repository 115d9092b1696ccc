using System.Net.Sockets;

namespace Reverb.Models;

/// <summary>
/// What the master asks of a running model besides stopping: a graceful reload (SIGHUP: replace the
/// serving processes), and, before an upgrade's stop, that the stop be a handover (a new master
/// now serves the same listening sockets: stop accepting and let every client finish, with no deadline).
/// </summary>
internal sealed class ServeControl
{
    private Func<bool>? _reload;
    private Func<IReadOnlyList<Socket>>? _ownQueues;
    private int _handingOver;

    /// <summary>
    /// Listening sockets of the workers' own accept queues (SO_REUSEPORT siblings) that the master
    /// this one upgrades handed down: the workers model takes them for its places instead of opening
    /// new ones, so no connection waits in a queue that nobody will accept from.
    /// </summary>
    public IReadOnlyList<Socket> InheritedQueues { get; init; } = [];

    /// <summary>The model's own extra listening sockets (the workers' queues), for an upgrade to hand down.</summary>
    public void OnHandDown(Func<IReadOnlyList<Socket>> ownQueues) => Volatile.Write(ref _ownQueues, ownQueues);

    public IReadOnlyList<Socket> OwnQueues() => Volatile.Read(ref _ownQueues)?.Invoke() ?? [];

    /// <summary>The stop that follows is an upgrade's handover, not a shutdown.</summary>
    public bool HandingOver => Volatile.Read(ref _handingOver) == 1;

    public void HandOver() => Volatile.Write(ref _handingOver, 1);

    /// <summary>The model's reload, called on SIGHUP (returns false when it refused and logged why).</summary>
    public void OnReload(Func<bool> reload) => Volatile.Write(ref _reload, reload);

    /// <summary>Asks the model to reload; null when the model has none (yet, or at all).</summary>
    public bool? RequestReload() => Volatile.Read(ref _reload)?.Invoke();
}
