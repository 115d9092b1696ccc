using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Reverb.Echo;
using Reverb.Forking;
using Reverb.Hosting;
using Reverb.Interop;
using Reverb.Monitoring;
using Reverb.Net;
using Reverb.Proxy;
using Reverb.Serving;

namespace Reverb.Supervision;

/// <summary>
/// The process model's master side: keeps one forking process running (a new one, with a growing
/// delay, when it dies), learns from it of every client accepted and every child reaped, reaps the
/// orphans a dead forking process leaves behind, and answers status and metrics from the shared
/// child table without asking any child.
/// </summary>
/// <remarks>
/// The master keeps the listening sockets open for its whole life, so a forking process that dies
/// loses no queued connection: its successor accepts them. The master is the child subreaper, so the
/// children of a dead forking process become its own and it reaps them (by pid, from the table).
/// </remarks>
internal sealed partial class ForkSupervisor : IStatusSource, IDisposable
{
    private static readonly TimeSpan MaintenanceInterval = TimeSpan.FromMilliseconds(200);

    private readonly ForkerLauncher _launcher = new();
    private readonly ForkerSettings _template;
    private readonly IReadOnlyList<Socket> _listeners;
    private readonly ChildTable _table;
    private readonly ILogger _logger;
    private readonly bool _namesClients;
    private readonly Lock _gate = new();
    private readonly Dictionary<int, Client> _clients = [];
    private readonly Dictionary<int, long> _unclaimed = [];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, bool> _forkerPids = new();
    private readonly PerSourceGate? _perSourceLog;
    private readonly LogThrottle _resourceNotice = new(TimeSpan.FromSeconds(10));
    private readonly LogThrottle _rejectionNotice = new(TimeSpan.FromSeconds(1));
    private readonly LogThrottle _untrustedNotice = new(TimeSpan.FromSeconds(10));
    private readonly TimeSpan _proxyTimeout;
    private readonly MasterPolicy _policy = MasterPolicy.ForkingProcess;
    private StartFailures _failures;
    private Forker? _forker;
    private int _generation;
    private long _crashes;
    private bool _stopping;

    public ForkSupervisor(ForkerSettings template, IReadOnlyList<Socket> listeners, ILogger logger)
    {
        _template = template;
        _listeners = listeners;
        _logger = logger;
        _namesClients = template.ProxyProtocol;
        _proxyTimeout = TimeSpan.FromMilliseconds(template.ProxyTimeoutMs);

        // Room for every client at once, plus those reaped but not yet read by the master.
        _table = ChildTable.Create(template.MaxClients + 1024);
        _perSourceLog = template.MaxPerSource > 0 ? new PerSourceGate(new SourceLimit(template.MaxPerSource), Connections, logger) : null;
    }

    /// <summary>Every client, open or gone, for status and metrics.</summary>
    public ConnectionTable Connections { get; } = new();

    /// <summary>Starts the first forking process and waits until it accepts.</summary>
    public async Task StartAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Children of a forking process that dies become ours, to reap.
        Posix.prctl(Posix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        Forker forker = Launch();
        Task ready = forker.Ready.Task;
        Task first = await Task.WhenAny(ready, forker.Exited, Task.Delay(timeout, cancellationToken)).ConfigureAwait(false);
        if (first != ready)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException(forker.Process.HasExited
                ? $"the forking process exited at start ({ExitDescription.Of(forker.Process)})"
                : $"the forking process did not become ready within {timeout.TotalSeconds:0} s");
        }
    }

    /// <summary>
    /// The master cycle, after nginx's: decide (<see cref="MasterPolicy"/>: a forking process is
    /// started when none runs, at once if the last one had been serving, after a growing delay if it
    /// died before it was ready, never while stopping), then wake on the forking process's exit, the
    /// end of a backoff or the next tick. A tick reaps orphans and names clients whose PROXY header
    /// has been read; an exit adopts the dead forking process's children. Returns when <paramref name="stop"/> is cancelled.
    /// </summary>
    public async Task SuperviseAsync(CancellationToken stop)
    {
        using var tick = new PeriodicTimer(MaintenanceInterval);
        Task<bool> nextTick = tick.WaitForNextTickAsync(stop).AsTask();
        Task never = Task.Delay(Timeout.Infinite, stop);
        while (true)
        {
            MasterDecision decision = _policy.Decide(PolicyState(stop), Environment.TickCount64);
            if (decision.Start > 0 && !TryLaunch())
            {
                _failures = MasterPolicy.Failed(_failures, Environment.TickCount64);
                continue;
            }

            Forker? forker = CurrentOrDead();
            Task exited = forker?.Exited ?? never;
            Task backoffEnds = decision.WakeAtMs == MasterDecision.Never ? never : Task.Delay(TimeSpan.FromMilliseconds(Math.Max(decision.WakeAtMs - Environment.TickCount64, 0)), stop);
            Task woke = await Task.WhenAny(exited, backoffEnds, nextTick).ConfigureAwait(false);
            if (forker is not null && woke == exited)
            {
                await BuryAsync(forker).ConfigureAwait(false);
            }
            else if (woke == nextTick || stop.IsCancellationRequested)
            {
                if (!await SafeTick(nextTick).ConfigureAwait(false))
                {
                    return;
                }

                nextTick = tick.WaitForNextTickAsync(stop).AsTask();
                Maintain();
                await AdvanceReloadAsync().ConfigureAwait(false);
            }

            // Otherwise the backoff has ended: decide again.
        }
    }

    /// <summary>What the policy needs to know: one forking process wanted, whether it runs and is ready, and the run of failed starts.</summary>
    private MasterState PolicyState(CancellationToken stop)
    {
        lock (_gate)
        {
            bool ready = _forker is { } forker && forker.Ready.Task.IsCompleted;
            return new MasterState(Wanted: 1, Ready: ready ? 1 : 0, Starting: _forker is not null && !ready ? 1 : 0, Stopping: _stopping || stop.IsCancellationRequested, Failures: _failures);
        }
    }

    /// <summary>After the forking process has exited: adopt its children, record the exit with the policy, and log.</summary>
    private async Task BuryAsync(Forker forker)
    {
        await ChildProcesses.Completes(forker.Reader, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        AdoptOrphans(forker);
        lock (_gate)
        {
            _forker = null;
        }

        _failures = _policy.Exited(_failures, forker.Ready.Task.IsCompleted, forker.Uptime, Environment.TickCount64);
        if (_policy.WorthLogging(_failures))
        {
            ForkerLog.Died(_logger, forker.Process.Id, ExitDescription.Of(forker.Process), OrphanCount(), _policy.Backoff(_failures).TotalSeconds);
        }

        _forkerPids.TryRemove(forker.Process.Id, out _);
        forker.Dispose();
    }

    private Forker? CurrentOrDead()
    {
        lock (_gate)
        {
            return _forker;
        }
    }

    /// <summary>
    /// Tells every forking process and every orphan to finish within <paramref name="drain"/>, waits,
    /// then kills what is left. Null <paramref name="drain"/> retires them instead (an upgrade has
    /// handed the listeners to a new master): they stop accepting and every client finishes in its own time.
    /// </summary>
    public async Task StopAsync(TimeSpan? drain)
    {
        Forker[] forkers;
        lock (_gate)
        {
            _stopping = true;
            forkers = AllForkers();
        }

        foreach (Forker forker in forkers.Where(f => !f.Exited.IsCompleted))
        {
            (drain is { } limit ? ForkerMessage.Shutdown(limit) : ForkerMessage.Retire()).SendTo(forker.Channel);
        }

        if (drain is not null)
        {
            SignalOrphans(Posix.SIGTERM);
        }

        long deadline = drain is { } period ? Stopwatch.GetTimestamp() + (long)((period + TimeSpan.FromSeconds(3)).TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
        while (!AllGone(forkers) && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(50).ConfigureAwait(false);
            ReapOrphans();
        }

        if (!AllGone(forkers))
        {
            ForkerLog.KillingAfterDrain(_logger);
            foreach (Forker forker in forkers.Where(f => !f.Exited.IsCompleted))
            {
                ChildProcesses.TryKill(forker.Process);
            }

            foreach (int pid in LivePids())
            {
                Posix.kill(pid, Posix.SIGKILL);
            }

            deadline = Stopwatch.GetTimestamp() + (5 * Stopwatch.Frequency);
            while (!AllGone(forkers) && Stopwatch.GetTimestamp() < deadline)
            {
                await Task.Delay(50).ConfigureAwait(false);
                ReapOrphans();
            }
        }

        foreach (Forker forker in forkers)
        {
            await ChildProcesses.Completes(forker.Exited, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            await ChildProcesses.Completes(forker.Reader, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            AdoptOrphans(forker);
            ReapOrphans();
            forker.Dispose();
        }
    }

    public void Dispose() => _table.Dispose();

    private bool AllGone(Forker[] forkers) => forkers.All(f => f.Exited.IsCompleted) && OrphanCount() == 0;

    private static async Task<bool> SafeTick(Task<bool> tick)
    {
        try
        {
            return await tick.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private Forker Launch(bool current = true)
    {
        int generation = Interlocked.Increment(ref _generation);
        (Process process, int channel) = _launcher.Launch(_template with { Generation = generation, MasterPid = Environment.ProcessId }, _listeners, _table);
        var forker = new Forker(process, channel, generation);
        _forkerPids[process.Id] = true;
        forker.Reader = Task.Factory.StartNew(() => ReadMessages(forker), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (current)
        {
            lock (_gate)
            {
                _forker = forker;
            }
        }

        ForkerLog.Started(_logger, process.Id, generation);
        return forker;
    }

    private bool TryLaunch()
    {
        try
        {
            Launch();
            return true;
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            ForkerLog.CannotStart(_logger, ex.Message);
            return false;
        }
    }

    /// <summary>
    /// The forking process's messages, on a thread of its own until its channel closes. Never throws:
    /// a failure is logged and the forking process killed, so that it is replaced like one that died
    /// (unread, its channel would fill and stop its accepting without a word).
    /// </summary>
    private void ReadMessages(Forker forker)
    {
        try
        {
            ReadUntilClosed(forker);
        }
        catch (Exception ex)
        {
            ForkerLog.ReaderFailed(_logger, forker.Process.Id, ex.Message);
            ChildProcesses.TryKill(forker.Process);
        }
    }

    private void ReadUntilClosed(Forker forker)
    {
        while (ForkerMessage.TryReceive(forker.Channel, out ForkerMessage message))
        {
            switch (message.Type)
            {
                case ForkerMessageType.Ready:
                    forker.Ready.TrySetResult();
                    break;
                case ForkerMessageType.Accepted when InRange(message.Slot):
                    OnAccepted(message.Slot, message.Pid, forker.Process.Id);
                    break;
                case ForkerMessageType.Reaped when InRange(message.Slot):
                    OnReaped(message.Slot);
                    break;
                case ForkerMessageType.RefusedUntrusted:
                    OnUntrusted(message.Address);
                    break;
                case ForkerMessageType.RefusedPerSource:
                    _perSourceLog?.Refused(message.Address.ToEndPoint()?.ToString() ?? "unknown peer");
                    break;
                case ForkerMessageType.ForkFailed when _resourceNotice.Allow():
                    ForkerLog.ForkFailed(_logger, new System.ComponentModel.Win32Exception(message.Value).Message);
                    break;
                case ForkerMessageType.AcceptFailed when _resourceNotice.Allow():
                    ForkerLog.AcceptFailed(_logger, new System.ComponentModel.Win32Exception(message.Value).Message);
                    break;
                default:
                    break;
            }
        }
    }

    private bool InRange(int slot) => slot >= 0 && slot < _table.Capacity;

    private unsafe Client Track(int index, int pid, int parent)
    {
        ChildSlot* slot = _table.Slot(index);
        lock (_gate)
        {
            if (_clients.TryGetValue(index, out Client? known) && known.Pid == pid)
            {
                return known;
            }

            IPEndPoint? peer = slot->Peer.ToEndPoint();
            LiveConnection connection = Connections.Open(peer, peer?.ToString() ?? "unknown peer");
            var client = new Client(connection, pid, parent);
            _clients[index] = client;
            return client;
        }
    }

    private void OnAccepted(int index, int pid, int forkerPid)
    {
        Client client = Track(index, pid, forkerPid);
        ServerLog.Accepted(_logger, client.Connection.Name, pid);
    }

    private unsafe void OnReaped(int index)
    {
        ChildSlot* slot = _table.Slot(index);
        if (ChildTable.StateOf(slot) != ChildSlotState.Reaped)
        {
            // Not a child that has been reaped: a message that does not match the table is ignored.
            return;
        }

        Client client = Track(index, slot->Pid, 0);
        NoticeName(slot, client);
        lock (_gate)
        {
            _clients.Remove(index);
        }

        var end = (EchoEnd)slot->End;
        int status = slot->WaitStatus;
        long bytesIn = Volatile.Read(ref slot->BytesIn);
        long bytesOut = Volatile.Read(ref slot->BytesOut);
        int proxyError = slot->ProxyError;
        _table.Free(index);

        LiveConnection connection = client.Connection;
        if (end == 0 || Posix.Signaled(status) || Posix.ExitCode(status) != 0)
        {
            Interlocked.Increment(ref _crashes);
            Connections.Close(connection, bytesIn, bytesOut, EchoEnd.Error);
            ForkerLog.ChildDied(_logger, client.Pid, ExitDescription.OfWaitStatus(status), connection.Name);
            return;
        }

        Connections.Close(connection, bytesIn, bytesOut, end);
        if (end == EchoEnd.Rejected)
        {
            ReportRejection(connection.Name, proxyError);
            return;
        }

        if (end == EchoEnd.RefusedPerSource)
        {
            // Behind a trusted proxy the child counted the real client and refused it.
            _perSourceLog?.Refused(connection.Name, counted: true);
            return;
        }

        TimeSpan duration = Stopwatch.GetElapsedTime(connection.StartedTimestamp);
        ServerLog.Finished(_logger, connection.Name, client.Pid, bytesIn, bytesOut, duration.TotalSeconds, end.ToText());
    }

    private void OnUntrusted(SlotAddress peer)
    {
        IPEndPoint? endpoint = peer.ToEndPoint();
        string name = endpoint?.ToString() ?? "unknown peer";
        Connections.Close(Connections.Open(endpoint, name), 0, 0, EchoEnd.Rejected);
        if (_untrustedNotice.Allow(out long held))
        {
            ServerLog.UntrustedProxy(_logger, name, LogThrottle.More(held));
        }
    }

    private void ReportRejection(string peer, int error)
    {
        if (_rejectionNotice.Allow(out long heldBack))
        {
            ServerLog.RejectedProxyHeader(_logger, peer, ProxyHeaderErrorTexts.ToText((ProxyHeaderError)error, _proxyTimeout), LogThrottle.HeldBackNote(heldBack, "rejected"));
        }
    }

    /// <summary>The one maintenance function: reap orphans, and name clients whose PROXY header has been read.</summary>
    private unsafe void Maintain()
    {
        ClaimOrFree();
        ReapOrphans();
        ReapStrangers();
        if (!_namesClients)
        {
            return;
        }

        KeyValuePair<int, Client>[] clients;
        lock (_gate)
        {
            clients = [.. _clients.Where(c => !c.Value.Named)];
        }

        foreach ((int index, Client client) in clients)
        {
            ChildSlot* slot = _table.Slot(index);
            if (slot->Pid == client.Pid)
            {
                NoticeName(slot, client);
            }
        }
    }

    private unsafe void NoticeName(ChildSlot* slot, Client client)
    {
        if (client.Named || slot->Client.Family == SlotAddress.None)
        {
            return;
        }

        client.Named = true;
        LiveConnection connection = client.Connection;
        IPEndPoint? real = slot->Client.ToEndPoint();
        connection.Client = real;
        connection.Name = real is not null ? $"{real} via {connection.Name}" : $"{connection.Name} (proxy health check)";
        ServerLog.Proxied(_logger, connection.Name, client.Pid);
    }

    /// <summary>After a forking process has exited: its children that still run are now the master's.</summary>
    private unsafe void AdoptOrphans(Forker dead)
    {
        for (int index = 0; index < _table.Capacity; index++)
        {
            ChildSlot* slot = _table.Slot(index);
            ChildSlotState state = ChildTable.StateOf(slot);
            if (state == ChildSlotState.Free || slot->Generation != dead.Generation)
            {
                continue;
            }

            if (slot->Pid == 0)
            {
                // It died between taking the slot and forking, or between fork and noting the child's
                // pid (which the child writes too, once it runs): look again before freeing it.
                _unclaimed[index] = Stopwatch.GetTimestamp();
                continue;
            }

            if (state == ChildSlotState.Reaped)
            {
                OnReaped(index);
                continue;
            }

            Client client = Track(index, slot->Pid, Environment.ProcessId);
            client.Orphan = true;
            client.Parent = Environment.ProcessId;
        }
    }

    /// <summary>Slots a dead forking process left without a pid: adopted once their child has written it, freed after a second without.</summary>
    private unsafe void ClaimOrFree()
    {
        foreach ((int index, long since) in _unclaimed.ToArray())
        {
            ChildSlot* slot = _table.Slot(index);
            if (slot->Pid != 0)
            {
                _unclaimed.Remove(index);
                Client client = Track(index, slot->Pid, Environment.ProcessId);
                client.Orphan = true;
            }
            else if (Stopwatch.GetElapsedTime(since) > TimeSpan.FromSeconds(1))
            {
                _unclaimed.Remove(index);
                _table.Free(index);
            }
        }
    }

    /// <summary>
    /// Any other child of the master that has exited (as PID 1 in a container every orphan of the
    /// system lands here too): reaped by pid, never with waitpid(-1), which could take a forking
    /// process's status from the runtime that waits for it.
    /// </summary>
    private unsafe void ReapStrangers()
    {
        // Only a dead forking process (the master is the subreaper of its line) or being PID 1 can give
        // the master a child it does not know: until then, spare the tick its reads of /proc.
        if (Volatile.Read(ref _generation) <= 1 && Environment.ProcessId != 1)
        {
            return;
        }

        HashSet<int> known = [.. LivePids()];
        foreach (int pid in ChildProcesses.ChildrenOf(Environment.ProcessId))
        {
            if (_forkerPids.ContainsKey(pid) || known.Contains(pid) || ProcessState(pid) != 'Z')
            {
                continue;
            }

            int status;
            if (Posix.waitpid(pid, &status, Posix.WNOHANG) == pid)
            {
                ForkerLog.ReapedStranger(_logger, pid, ExitDescription.OfWaitStatus(status));
            }
        }
    }

    private static char ProcessState(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length ? stat[close + 2] : '?';
        }
        catch (IOException)
        {
            return '?';
        }
    }

    private unsafe void ReapOrphans()
    {
        foreach ((int index, Client client) in Orphans())
        {
            int status;
            int reaped = Posix.waitpid(client.Pid, &status, Posix.WNOHANG);
            if (reaped == client.Pid || (reaped < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Posix.ECHILD))
            {
                ChildSlot* slot = _table.Slot(index);
                slot->WaitStatus = reaped == client.Pid ? status : 0;
                SlotAddress peer = slot->Peer;
                ChildTable.SetState(slot, ChildSlotState.Reaped);
                OnReaped(index);
                if (_template.MaxPerSource > 0 && CurrentForker() is { } forker)
                {
                    ForkerMessage.ReleaseSource(peer).SendTo(forker.Channel);
                }
            }
        }
    }

    private Forker? CurrentForker()
    {
        lock (_gate)
        {
            return _forker is { } forker && !forker.Exited.IsCompleted ? forker : null;
        }
    }

    private KeyValuePair<int, Client>[] Orphans()
    {
        lock (_gate)
        {
            return [.. _clients.Where(c => c.Value.Orphan)];
        }
    }

    private int OrphanCount()
    {
        lock (_gate)
        {
            return _clients.Values.Count(c => c.Orphan);
        }
    }

    private int[] LivePids()
    {
        lock (_gate)
        {
            return [.. _clients.Values.Select(c => c.Pid).Where(pid => pid > 0)];
        }
    }

    private void SignalOrphans(int signal)
    {
        foreach ((_, Client client) in Orphans())
        {
            Posix.kill(client.Pid, signal);
        }
    }

    /// <summary>Every child with its client; the forking process first. Bytes come from the table, live.</summary>
    public unsafe Task<ModelStatus> CaptureAsync(CancellationToken cancellationToken)
    {
        KeyValuePair<int, Client>[] clients;
        var processes = new List<ProcessStatus>();
        lock (_gate)
        {
            clients = [.. _clients];
            foreach (Forker forker in AllForkers().Where(f => !f.Exited.IsCompleted))
            {
                processes.Add(new ProcessStatus(forker.Process.Id, Environment.ProcessId, "forker", ForkerState(forker), []));
            }
        }

        ConnectionTotals totals = Connections.Totals();
        long liveIn = 0;
        long liveOut = 0;
        foreach ((int index, Client client) in clients)
        {
            ChildSlot* slot = _table.Slot(index);
            if (slot->Pid != client.Pid)
            {
                continue;
            }

            long bytesIn = Volatile.Read(ref slot->BytesIn);
            long bytesOut = Volatile.Read(ref slot->BytesOut);
            liveIn += bytesIn;
            liveOut += bytesOut;
            LiveConnection connection = client.Connection;
            var row = new ClientStatus(connection.Client?.ToString() ?? connection.Name, bytesIn, bytesOut, connection.Since);
            processes.Add(new ProcessStatus(client.Pid, client.Parent, "worker", "busy", [row]));
        }

        totals = totals with { BytesIn = totals.BytesIn + liveIn, BytesOut = totals.BytesOut + liveOut };
        return Task.FromResult(new ModelStatus([], processes, totals, Interlocked.Read(ref _crashes)));
    }

    /// <summary>A client the master knows of, with the child serving it.</summary>
    private sealed class Client(LiveConnection connection, int pid, int parent)
    {
        public LiveConnection Connection { get; } = connection;

        public int Pid { get; } = pid;

        public int Parent { get; set; } = parent;

        /// <summary>Its forking process has died: the master reaps it.</summary>
        public bool Orphan { get; set; }

        public bool Named { get; set; }
    }

    /// <summary>One forking process, with the master's end of its channel and the thread reading it.</summary>
    private sealed class Forker(Process process, int channel, int generation) : IDisposable
    {
        private readonly long _started = Stopwatch.GetTimestamp();

        public Process Process { get; } = process;

        public int Channel { get; } = channel;

        public int Generation { get; } = generation;

        public TaskCompletionSource Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Reader { get; set; } = Task.CompletedTask;

        /// <summary>Completes when the process has exited and been reaped (one wait for its whole life).</summary>
        public Task Exited { get; } = process.WaitForExitAsync();

        public TimeSpan Uptime => Stopwatch.GetElapsedTime(_started);

        public void Dispose()
        {
            Posix.close(Channel);
            Process.Dispose();
        }
    }
}
