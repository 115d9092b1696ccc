using Reverb.Forking;

namespace Reverb.Supervision;

/// <summary>
/// The process model's graceful reload (SIGHUP): a new forking process is started beside the
/// current one; once it accepts, the old one is retired (it stops accepting, its children finish
/// their clients, then it exits). Both accept on the same listening sockets for a moment, so no
/// client is refused. All of it runs on the master's maintenance tick.
/// </summary>
internal sealed partial class ForkSupervisor
{
    /// <summary>How long a new forking process may take to become ready before the reload is given up.</summary>
    private static readonly TimeSpan ReloadTimeout = TimeSpan.FromSeconds(60);

    private readonly List<Forker> _retiring = [];
    private Forker? _successor;
    private int _reloadRequested;

    /// <summary>Asks for a reload at the next tick; false (and a log line) when one is already under way.</summary>
    public bool RequestReload()
    {
        bool busy;
        lock (_gate)
        {
            busy = _successor is not null;
        }

        if (busy || Interlocked.Exchange(ref _reloadRequested, 1) == 1)
        {
            ReloadLog.Busy(_logger);
            return false;
        }

        return true;
    }

    /// <summary>Every forking process still known: the current one, a successor being started, those retiring. Call under the lock.</summary>
    private Forker[] AllForkers() =>
        [.. (_forker is null ? [] : (Forker[])[_forker]), .. (_successor is null ? [] : (Forker[])[_successor]), .. _retiring];

    private string ForkerState(Forker forker) =>
        forker == _successor ? "starting" : _retiring.Contains(forker) ? "retiring" : _stopping ? "draining" : "accepting";

    /// <summary>One step of a reload, on the maintenance tick: bury retired forkers, promote or give up a successor, start one when asked.</summary>
    private async Task AdvanceReloadAsync()
    {
        Forker[] exited;
        lock (_gate)
        {
            exited = [.. _retiring.Where(f => f.Exited.IsCompleted)];
        }

        foreach (Forker retired in exited)
        {
            await ChildProcesses.Completes(retired.Reader, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            AdoptOrphans(retired);
            lock (_gate)
            {
                _retiring.Remove(retired);
            }

            _forkerPids.TryRemove(retired.Process.Id, out _);
            ReloadLog.Retired(_logger, "forking process", retired.Process.Id, ExitDescription.Of(retired.Process));
            retired.Dispose();
        }

        Forker? successor;
        Forker? current;
        lock (_gate)
        {
            successor = _successor;
            current = _forker;
        }

        if (successor is not null)
        {
            await PromoteOrAbandonAsync(successor, current).ConfigureAwait(false);
            return;
        }

        if (Interlocked.Exchange(ref _reloadRequested, 0) == 0)
        {
            return;
        }

        if (current is null || _stopping)
        {
            ReloadLog.NotNow(_logger, current is null ? "no forking process is running (one is being restarted)" : "the server is stopping");
            return;
        }

        ReloadLog.Starting(_logger, "a new forking process", $"forking process {current.Process.Id}");
        try
        {
            successor = Launch(current: false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            ReloadLog.Failed(_logger, ex.Message, "forking process", current.Process.Id);
            return;
        }

        lock (_gate)
        {
            _successor = successor;
        }
    }

    private async Task PromoteOrAbandonAsync(Forker successor, Forker? current)
    {
        if (successor.Ready.Task.IsCompleted && !successor.Exited.IsCompleted)
        {
            int clients;
            lock (_gate)
            {
                _successor = null;
                _forker = successor;
                if (current is not null)
                {
                    _retiring.Add(current);
                }

                clients = current is null ? 0 : _clients.Values.Count(c => c.Parent == current.Process.Id);
            }

            if (current is not null)
            {
                // Retire, not Shutdown: its children are not signalled, their clients finish in their own time.
                ForkerMessage.Retire().SendTo(current.Channel);
                ReloadLog.Replaced(_logger, "forking process", current.Process.Id, successor.Process.Id, clients);
            }

            ReloadLog.Done(_logger, current is null ? $"forking process {successor.Process.Id} started" : $"forking process {current.Process.Id} → {successor.Process.Id}");
            return;
        }

        string? failure = successor.Exited.IsCompleted
            ? $"the new forking process {successor.Process.Id} exited before it was ready ({ExitDescription.Of(successor.Process)})"
            : successor.Uptime > ReloadTimeout ? $"the new forking process {successor.Process.Id} was not ready within {ReloadTimeout.TotalSeconds:0} s" : null;
        if (failure is null)
        {
            return;
        }

        ChildProcesses.TryKill(successor.Process);
        await ChildProcesses.Completes(successor.Exited, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        await ChildProcesses.Completes(successor.Reader, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        AdoptOrphans(successor);
        lock (_gate)
        {
            _successor = null;
        }

        _forkerPids.TryRemove(successor.Process.Id, out _);
        successor.Dispose();
        ReloadLog.Failed(_logger, failure, "forking process", current?.Process.Id ?? 0);
    }
}
