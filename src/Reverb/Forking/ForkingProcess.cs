using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using Reverb.Echo;
using Reverb.Interop;
using Reverb.Monitoring;
using Reverb.Net;
using Reverb.Proxy;
using Reverb.Serving;

namespace Reverb.Forking;

/// <summary>
/// The forking process of the process model (<c>reverb forker ...</c>, started by the master): the
/// classic accept-then-fork loop. It accepts on the listening sockets it inherited, forks one child
/// per client, reaps every child, and tells the master about each over its channel.
/// </summary>
/// <remarks>
/// fork() copies only the calling thread, so this process stays single-threaded in everything that
/// matters: no Console, no logging, no async I/O, no timers, no PosixSignalRegistration (each of
/// those starts a runtime thread that may hold a lock at the moment of a fork). Signals are blocked
/// from birth (the master starts it so) and read from a signalfd in the one poll loop. Before the
/// first fork it runs the child's code once (<see cref="ChildEchoLoop.WarmUp"/>) so that under the
/// JIT every method and P/Invoke a child calls is compiled and bound, and it checks that no other
/// thread that could run managed code exists.
/// </remarks>
internal sealed unsafe class ForkingProcess
{
    private static readonly TimeSpan PauseAfterResourceError = TimeSpan.FromMilliseconds(100);

    // With --clients-per-process: idle children kept beyond this are retired, a few a second.
    private const int MaxIdleChildren = 32;

    private readonly ForkerSettings _settings;
    private readonly ChildTable _table;
    private readonly ChildBuffers _buffers;
    private readonly ChildEchoSettings _child;
    private readonly int _signalFd;
    // Children serving a client, by pid: the slot of that client.
    private readonly Dictionary<int, int> _slotOfPid = [];
    private readonly HashSet<int> _children = [];
    private readonly int[] _listenFds;

    // "reverb-client", NUL-terminated, allocated before any fork: what ps -o comm and top call a child.
    private readonly byte* _childName = Utf8("reverb-client");

    // --clients-per-process above 1: children that finished a client wait on the handoff pair for the
    // next, and report on the report pair. Index 0 is this process's end, 1 the children's.
    private readonly bool _reuse;
    private readonly int[] _handoff = [-1, -1];
    private readonly int[] _reports = [-1, -1];
    private readonly HashSet<int> _idle = [];
    private int _handoffsPending;
    private int _retiresPending;
    private long _lastRetire;
    private readonly SourceLimit? _perSource;
    private readonly TrustedProxies _trusted;
    private readonly int _pid = Posix.getpid();
    private bool _draining;
    private bool _masterGone;
    private long _pausedUntil;

    private ForkingProcess(ForkerSettings settings, ChildTable table, ChildBuffers buffers, ChildEchoSettings child, int signalFd)
    {
        _settings = settings;
        _table = table;
        _buffers = buffers;
        _child = child;
        _signalFd = signalFd;
        _listenFds = [.. settings.ListenFds];
        _reuse = settings.ClientsPerProcess > 1;
        if (_reuse)
        {
            (_handoff[0], _handoff[1]) = UnixChannelSocket.CreatePair();
            (_reports[0], _reports[1]) = UnixChannelSocket.CreatePair();
        }

        _trusted = TrustedProxies.Parse(settings.TrustedProxies.Split(',', StringSplitOptions.RemoveEmptyEntries));

        // Behind a trusted proxy the children count the real clients their headers name (ClientLimit).
        _perSource = settings.MaxPerSource > 0 && !_trusted.IsRestricted ? new SourceLimit(settings.MaxPerSource) : null;

        // Clients of a predecessor that died still count against their address.
        for (int index = 0; _perSource is not null && index < table.Capacity; index++)
        {
            ChildSlot* slot = table.Slot(index);
            if (ChildTable.StateOf(slot) is ChildSlotState.Serving or ChildSlotState.Finished && slot->Pid != 0)
            {
                _perSource.TryAdmit(PeerAddress(slot));
            }
        }
    }

    /// <summary>The entry point of the forker role; returns the exit code.</summary>
    public static int Run(string[] arguments)
    {
        ForkerSettings settings;
        try
        {
            settings = ForkerSettings.Parse(arguments);
        }
        catch (FormatException ex)
        {
            Fail(ex.Message);
            return 2;
        }

        // The master started us with these blocked; block them again in case someone else started us.
        Posix.SignalSet handled = Posix.SignalSet.Of(Posix.SIGCHLD, Posix.SIGTERM, Posix.SIGINT, Posix.SIGHUP);
        Posix.pthread_sigmask(Posix.SIG_BLOCK, &handled, null);
        int signalFd = Posix.signalfd(-1, &handled, Posix.SFD_CLOEXEC | Posix.SFD_NONBLOCK);
        if (signalFd < 0)
        {
            Fail($"signalfd failed (errno {Marshal.GetLastPInvokeError()})");
            return 1;
        }

        Posix.prctl(Posix.PR_SET_NAME, (nuint)(nint)Utf8("reverb-forker"), 0, 0, 0);
        foreach (int fd in settings.ListenFds)
        {
            // Another process (a previous forking process) may have left it blocking; poll decides when to accept.
            Posix.fcntl(fd, Posix.F_SETFL, Posix.fcntl(fd, Posix.F_GETFL, 0) | Posix.O_NONBLOCK);
        }

        using ChildTable table = ChildTable.Map(settings.TableFd, settings.TableCapacity);
        var child = new ChildEchoSettings
        {
            BufferSize = settings.BufferSize,
            IdleTimeoutMs = (int)Math.Min(settings.IdleTimeoutMs, int.MaxValue),
            LogChunks = settings.LogChunks,
            LogJson = settings.LogJson,
            LogFd = 1,
            ProxyProtocol = settings.ProxyProtocol,
            ProxyTimeoutMs = (int)Math.Min(settings.ProxyTimeoutMs, int.MaxValue),
            DrainMs = (int)Math.Min(settings.DrainMs, int.MaxValue),
            LocalUtcOffsetMinutes = (int)TimeZoneInfo.Local.GetUtcOffset(DateTime.UtcNow).TotalMinutes,
            MaxPerClient = settings.TrustedProxies.Length > 0 ? settings.MaxPerSource : 0,
            Table = table.Slot(0),
            TableCapacity = table.Capacity,
        };
        using var buffers = new ChildBuffers(settings.BufferSize);
        int warmed = ChildEchoLoop.WarmUp(child, buffers);
        if (warmed != ChildEchoLoop.WarmUpScenarios || !ClientLimit.WarmUp())
        {
            Fail($"refusing to fork: the child's code did not run as expected before the first fork ({warmed} of {ChildEchoLoop.WarmUpScenarios} scenarios)");
            return 1;
        }

        if (ForeignThreads() is { } foreign)
        {
            Fail($"refusing to fork: other threads run in this process ({foreign})");
            return 1;
        }

        var forker = new ForkingProcess(settings, table, buffers, child, signalFd);
        if (forker._reuse && !WarmUpReuse(signalFd))
        {
            Fail("refusing to fork: handing a client to an idle child did not work before the first fork");
            return 1;
        }

        return forker.Loop();
    }

    private int Loop()
    {
        if (!ForkerMessage.Ready(_pid).SendTo(_settings.ChannelFd))
        {
            return 0;
        }

        const int Fixed = 3;
        int listeners = _listenFds.Length;
        Posix.PollFd* fds = stackalloc Posix.PollFd[Fixed + listeners];
        while (true)
        {
            if ((_draining || _masterGone) && _children.Count == 0)
            {
                return 0;
            }

            long now = Stopwatch.GetTimestamp();
            bool paused = now < _pausedUntil;
            bool accepting = !_draining && !_masterGone && !paused && Busy < _settings.MaxClients;
            fds[0] = new Posix.PollFd { Fd = _signalFd, Events = Posix.POLLIN };
            fds[1] = new Posix.PollFd { Fd = _masterGone ? -1 : _settings.ChannelFd, Events = Posix.POLLIN };
            fds[2] = new Posix.PollFd { Fd = _reports[0], Events = Posix.POLLIN };
            for (int i = 0; i < listeners; i++)
            {
                fds[Fixed + i] = new Posix.PollFd { Fd = accepting ? _listenFds[i] : -1, Events = Posix.POLLIN };
            }

            int timeout = paused ? (int)Math.Max(1, Stopwatch.GetElapsedTime(now, _pausedUntil).TotalMilliseconds) : _idle.Count > 0 ? 1000 : -1;
            int ready = Posix.poll(fds, (nuint)(Fixed + listeners), timeout);
            if (ready < 0)
            {
                continue;
            }

            if (fds[0].Revents != 0)
            {
                ReadSignals();
            }

            if (fds[1].Revents != 0)
            {
                ReadMaster();
            }

            if (fds[2].Revents != 0)
            {
                ReadReports();
            }

            for (int i = 0; i < listeners; i++)
            {
                if (fds[Fixed + i].Revents != 0 && !_draining && !_masterGone)
                {
                    AcceptBatch(_listenFds[i]);
                }
            }

            RetireSurplusIdle();
        }
    }

    /// <summary>Clients being served, or handed to an idle child that has not said it started yet.</summary>
    private int Busy => _slotOfPid.Count + _handoffsPending;

    /// <summary>Idle children that no handoff or retirement already waits for.</summary>
    private int IdleAvailable => _idle.Count - _handoffsPending - _retiresPending;

    private void ReadReports()
    {
        // Whatever is there, without blocking. A child reports before it exits, so reading reports
        // before reaping keeps a client's end ahead of its process's exit.
        Posix.PollFd more = new() { Fd = _reports[0], Events = Posix.POLLIN };
        while (_reuse && Posix.poll(&more, 1, 0) > 0)
        {
            if (!ChildReport.TryReceive(_reports[0], out ChildReport report))
            {
                return;
            }

            if (report.Kind == ChildReport.Started && report.Slot >= 0 && report.Slot < _table.Capacity)
            {
                _handoffsPending = Math.Max(0, _handoffsPending - 1);
                _idle.Remove(report.Pid);
                if (!_children.Contains(report.Pid))
                {
                    // It died between taking the client and saying so: the client went with it.
                    ChildSlot* lost = _table.Slot(report.Slot);
                    lost->Pid = report.Pid;
                    lost->WaitStatus = Posix.SIGKILL;
                    ChildTable.SetState(lost, ChildSlotState.Reaped);
                    Tell(ForkerMessage.Reaped(report.Slot, report.Pid));
                    continue;
                }

                _slotOfPid[report.Pid] = report.Slot;
                Tell(ForkerMessage.Accepted(report.Slot, report.Pid));
            }
            else if (report.Kind == ChildReport.Finished && _slotOfPid.TryGetValue(report.Pid, out int index) && index == report.Slot)
            {
                _slotOfPid.Remove(report.Pid);
                ClientGone(index, report.Pid, status: 0);
                if (report.Again == 1 && _children.Contains(report.Pid))
                {
                    // While draining no client will come: an idle child would only keep this process alive.
                    if (_draining)
                    {
                        Posix.kill(report.Pid, Posix.SIGTERM);
                    }

                    _idle.Add(report.Pid);
                }
            }
        }
    }

    /// <summary>Once a second, retires idle children beyond the few kept for the next clients.</summary>
    private void RetireSurplusIdle()
    {
        if (!_reuse || IdleAvailable <= MaxIdleChildren || Stopwatch.GetElapsedTime(_lastRetire) < TimeSpan.FromSeconds(1))
        {
            return;
        }

        _lastRetire = Stopwatch.GetTimestamp();
        int surplus = Math.Max(1, (IdleAvailable - MaxIdleChildren) / 4);
        for (int i = 0; i < surplus && ClientHandoff.RetireOne(_handoff[0]); i++)
        {
            _retiresPending++;
        }
    }

    private void ReadSignals()
    {
        // struct signalfd_siginfo is 128 bytes; ssi_signo comes first.
        byte* info = stackalloc byte[128];
        while (Posix.read(_signalFd, info, 128) == 128)
        {
            int signal = *(int*)info;
            if (signal == Posix.SIGTERM)
            {
                // Sent to the whole group by a service manager: the children drain themselves.
                StopAccepting(signalChildren: false);
            }

            // SIGINT (a terminal's Ctrl-C reaches the whole group) and SIGHUP: the master decides.
        }

        Reap();
    }

    private void Reap()
    {
        ReadReports();
        int status;
        int pid;
        while ((pid = Posix.waitpid(-1, &status, Posix.WNOHANG)) > 0)
        {
            _children.Remove(pid);
            if (_idle.Remove(pid) && _retiresPending > 0)
            {
                _retiresPending--;
            }

            if (_slotOfPid.Remove(pid, out int index))
            {
                ClientGone(index, pid, status);
            }
        }
    }

    /// <summary>A client's child has exited, or (reused) finished it: the slot is the master's to read and free.</summary>
    private void ClientGone(int index, int pid, int status)
    {
        ChildSlot* slot = _table.Slot(index);
        slot->WaitStatus = status;
        _perSource?.Release(PeerAddress(slot));
        ChildTable.SetState(slot, ChildSlotState.Reaped);
        Tell(ForkerMessage.Reaped(index, pid));
    }

    private void ReadMaster()
    {
        if (!ForkerMessage.TryReceive(_settings.ChannelFd, out ForkerMessage message))
        {
            // The master has gone: serve the clients in hand to their end, take no new one.
            _masterGone = true;
            StopAccepting(signalChildren: false);
            return;
        }

        switch (message.Type)
        {
            case ForkerMessageType.Shutdown:
                StopAccepting(signalChildren: true);
                break;
            case ForkerMessageType.Retire:
                // Replaced by a successor: the clients in hand finish in their own time.
                StopAccepting(signalChildren: false);
                break;
            case ForkerMessageType.ReleaseSource:
                _perSource?.Release(PeerAddress(&message.Address));
                break;
        }
    }

    private void StopAccepting(bool signalChildren)
    {
        if (!_draining)
        {
            _draining = true;
            foreach (int fd in _listenFds)
            {
                Posix.close(fd);
            }
        }

        if (signalChildren)
        {
            foreach (int pid in _children)
            {
                Posix.kill(pid, Posix.SIGTERM);
            }
        }
        else
        {
            // Idle children have no client to finish.
            foreach (int pid in _idle)
            {
                Posix.kill(pid, Posix.SIGTERM);
            }
        }
    }

    private void AcceptBatch(int listener)
    {
        // A few at a time, so that signals and the other listeners get their turn under a flood.
        for (int n = 0; n < 16 && Busy < _settings.MaxClients; n++)
        {
            Posix.SocketAddress address;
            int length = sizeof(Posix.SocketAddress);
            int client = Posix.accept4(listener, &address, &length, Posix.SOCK_CLOEXEC);
            if (client < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is Posix.EMFILE or Posix.ENFILE or Posix.ENOBUFS or Posix.ENOMEM)
                {
                    Pause();
                    Tell(ForkerMessage.AcceptFailed(errno));
                }

                // EAGAIN: nobody is waiting; anything else concerns only the connection that failed.
                return;
            }

            Serve(client, SocketAddresses.ToSlot(&address));
        }
    }

    private void Serve(int client, SlotAddress peer)
    {
        if (_trusted.IsRestricted && !_trusted.Trusts(PeerAddress(&peer)))
        {
            Posix.close(client);
            Tell(ForkerMessage.RefusedUntrusted(peer));
            return;
        }

        if (_perSource is not null && !_perSource.TryAdmit(PeerAddress(&peer)))
        {
            Posix.close(client);
            Tell(ForkerMessage.RefusedPerSource(peer, _settings.MaxPerSource));
            return;
        }

        int index = _table.TryReserve();
        if (index < 0)
        {
            // Every slot is still held (the master has not read the last reaped ones yet): try again shortly.
            Posix.close(client);
            _perSource?.Release(PeerAddress(&peer));
            Pause();
            return;
        }

        ChildSlot* slot = _table.Slot(index);
        slot->Peer = peer;
        slot->Generation = _settings.Generation;
        slot->AcceptedUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        slot->AcceptedTimestamp = Stopwatch.GetTimestamp();

        if (IdleAvailable > 0 && ClientHandoff.Hand(_handoff[0], index, client))
        {
            // An idle child takes it; it says which when it starts.
            Posix.close(client);
            _handoffsPending++;
            return;
        }

        int pid = Posix.fork();
        if (pid == 0)
        {
            RunChild(client, index);
        }

        Posix.close(client);
        if (pid < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            _table.Free(index);
            _perSource?.Release(PeerAddress(&peer));
            Pause();
            Tell(ForkerMessage.ForkFailed(errno));
            return;
        }

        slot->Pid = pid;
        _slotOfPid[pid] = index;
        _children.Add(pid);
        Tell(ForkerMessage.Accepted(index, pid));
    }

    /// <summary>In the child, right after fork: allocation-free from here to _exit.</summary>
    private void RunChild(int client, int index)
    {
        int[] listeners = _listenFds;
        for (int i = 0; i < listeners.Length; i++)
        {
            Posix.close(listeners[i]);
        }

        Posix.close(_settings.ChannelFd);
        Posix.close(_settings.TableFd);
        if (_reuse)
        {
            Posix.close(_handoff[0]);
            Posix.close(_reports[0]);
        }

        // A fault ends this process with its signal, as in the classic server: the runtime's handlers
        // (which turn faults into exceptions and would need threads this process does not have) step aside.
        Posix.SetDisposition(Posix.SIGSEGV, 0);
        Posix.SetDisposition(Posix.SIGBUS, 0);
        Posix.SetDisposition(Posix.SIGFPE, 0);
        Posix.SetDisposition(Posix.SIGILL, 0);
        Posix.SetDisposition(Posix.SIGTRAP, 0);
        Posix.SetDisposition(Posix.SIGABRT, 0);
        Posix.prctl(Posix.PR_SET_NAME, (nuint)_childName, 0, 0, 0);
        int pid = Posix.getpid();
        int served = 0;
        while (true)
        {
            ChildSlot* slot = _table.Slot(index);
            slot->Pid = pid;
            ChildTable.SetState(slot, ChildSlotState.Serving);
            ChildEchoLoop.Run(client, _signalFd, slot, _child, _buffers);
            Posix.close(client);
            if (!_reuse)
            {
                Posix.Exit(0);
            }

            served++;
            int again = served < _settings.ClientsPerProcess && slot->End != (int)EchoEnd.Shutdown ? 1 : 0;
            if (!new ChildReport { Kind = ChildReport.Finished, Slot = index, Pid = pid, Again = again }.SendTo(_reports[1])
                || again == 0
                || !ClientHandoff.TryTake(_handoff[1], _signalFd, out index, out client)
                || !new ChildReport { Kind = ChildReport.Started, Slot = index, Pid = pid }.SendTo(_reports[1]))
            {
                Posix.Exit(0);
            }
        }
    }

    private void Pause() => _pausedUntil = Stopwatch.GetTimestamp() + (long)(PauseAfterResourceError.TotalSeconds * Stopwatch.Frequency);

    private void Tell(ForkerMessage message)
    {
        if (!_masterGone && !message.SendTo(_settings.ChannelFd))
        {
            _masterGone = true;
            StopAccepting(signalChildren: false);
        }
    }

    private static IPAddress PeerAddress(ChildSlot* slot) => PeerAddress(&slot->Peer);

    private static IPAddress PeerAddress(SlotAddress* peer) => peer->ToEndPoint()?.Address ?? IPAddress.None;

    /// <summary>
    /// Runs a reused child's handoff and reports once over a private pair (a descriptor handed over,
    /// a retirement, a report each way), so that under the JIT that code is compiled before any fork.
    /// </summary>
    private static bool WarmUpReuse(int signalFd)
    {
        (int handOut, int handIn) = UnixChannelSocket.CreatePair();
        (int reportIn, int reportOut) = UnixChannelSocket.CreatePair();
        try
        {
            bool handed = ClientHandoff.Hand(handOut, 7, reportOut)
                && ClientHandoff.TryTake(handIn, signalFd, out int slot, out int received) && slot == 7 && Posix.close(received) == 0;
            bool retired = ClientHandoff.RetireOne(handOut) && !ClientHandoff.TryTake(handIn, signalFd, out _, out _);
            bool reported = new ChildReport { Kind = ChildReport.Finished, Slot = 7, Pid = 1, Again = 1 }.SendTo(reportOut)
                && ChildReport.TryReceive(reportIn, out ChildReport report) && report.Slot == 7;
            return handed && retired && reported;
        }
        finally
        {
            Posix.close(handOut);
            Posix.close(handIn);
            Posix.close(reportIn);
            Posix.close(reportOut);
        }
    }

    /// <summary>Threads other than this one and the finalizer (which only runs finalizers, and we create none), by name.</summary>
    private static string? ForeignThreads()
    {
        int self = Environment.ProcessId;
        var foreign = new List<string>();
        foreach (string task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            string name = File.ReadAllText(Path.Combine(task, "comm")).Trim();
            if (Path.GetFileName(task) != self.ToString(System.Globalization.CultureInfo.InvariantCulture) && !IdleRuntimeThreads.Contains(name))
            {
                foreign.Add(name);
            }
        }

        return foreign.Count == 0 ? null : string.Join(", ", foreign);
    }

    // Runtime threads that never run managed code on their own while nothing asks them to.
    private static readonly HashSet<string> IdleRuntimeThreads = new(StringComparer.Ordinal) { ".NET Finalizer", ".NET SynchManag" };

    private static byte* Utf8(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text + "\0");
        byte* copy = (byte*)NativeMemory.Alloc((nuint)bytes.Length);
        bytes.CopyTo(new Span<byte>(copy, bytes.Length));
        return copy;
    }

    private static void Fail(string message)
    {
        byte[] line = Encoding.UTF8.GetBytes($"reverb forker: {message}\n");
        fixed (byte* bytes = line)
        {
            Posix.write(2, bytes, (nuint)line.Length);
        }
    }
}
