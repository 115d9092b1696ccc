using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using Reverb.Monitoring;
using Reverb.Serving;

namespace Reverb.Hosting;

/// <summary>
/// systemd's service notification (sd_notify) when <c>NOTIFY_SOCKET</c> is set (Type=notify):
/// READY=1 once the model serves on every listener, a STATUS= line with the clients active and
/// accepted every 5 s, STOPPING=1 when the drain begins, and WATCHDOG=1 every
/// WATCHDOG_USEC/2 while the status board still answers within a short time (a stuck master
/// misses its pings and systemd restarts it).
/// </summary>
/// <remarks>
/// Hand-written: each message is one datagram on an AF_UNIX SOCK_DGRAM socket (a name starting
/// with '@' is in the abstract namespace), a few lines of code; Microsoft.Extensions.Hosting.Systemd
/// offers its notifier only through the generic host (IHost and its lifetime), which reverb does not use.
/// </remarks>
internal sealed class SystemdNotifier : IAsyncDisposable
{
    /// <summary>How often the STATUS= line is refreshed.</summary>
    internal static readonly TimeSpan StatusPeriod = TimeSpan.FromSeconds(5);

    /// <summary>The longest a watchdog check waits for the status board.</summary>
    internal static readonly TimeSpan HealthTimeout = TimeSpan.FromSeconds(2);

    /// <summary>A nonsensically small WATCHDOG_USEC still gets a timer that works (and pings as often as is reasonable).</summary>
    private static readonly TimeSpan MinimumTick = TimeSpan.FromMilliseconds(10);

    private readonly Socket _socket;
    private readonly UnixDomainSocketEndPoint _target;
    private readonly StatusBoard _board;
    private readonly TimeSpan? _watchdog;
    private readonly ILogger _logger;
    private readonly LogThrottle _sendFailures = new(TimeSpan.FromSeconds(60));
    private readonly CancellationTokenSource _end = new();
    private readonly Task _loop;
    private int _handedOver;

    private SystemdNotifier(string address, TimeSpan? watchdog, StatusBoard board, ILogger logger, CancellationToken stop)
    {
        _socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false };
        _target = new UnixDomainSocketEndPoint(address.StartsWith('@') ? "\0" + address[1..] : address);
        _board = board;
        _watchdog = watchdog;
        _logger = logger;
        _loop = RunAsync(stop);
    }

    /// <summary>Starts notifying when NOTIFY_SOCKET is set; null otherwise (not started by systemd as Type=notify).</summary>
    /// <param name="stop">The stop signal: no READY=1 after it.</param>
    public static SystemdNotifier? Start(StatusBoard board, ILogger logger, CancellationToken stop)
    {
        string? address = Environment.GetEnvironmentVariable("NOTIFY_SOCKET");
        TimeSpan? watchdog = WatchdogPeriod();

        // As sd_notify(unset_environment=1): the workers and forked processes started later are not the service's main process.
        foreach (string name in (string[])["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"])
        {
            Environment.SetEnvironmentVariable(name, null);
        }

        if (string.IsNullOrEmpty(address) || address.Length < 2 || address[0] is not ('/' or '@'))
        {
            return null;
        }

        return new SystemdNotifier(address, watchdog, board, logger, stop);
    }

    /// <summary>WATCHDOG_USEC, when it is meant for this process (WATCHDOG_PID absent or ours).</summary>
    internal static TimeSpan? WatchdogPeriod()
    {
        if (!ulong.TryParse(Environment.GetEnvironmentVariable("WATCHDOG_USEC"), NumberStyles.None, CultureInfo.InvariantCulture, out ulong usec) || usec == 0)
        {
            return null;
        }

        string? pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        if (!string.IsNullOrEmpty(pid) && pid != Environment.ProcessId.ToString(CultureInfo.InvariantCulture))
        {
            return null;
        }

        return TimeSpan.FromMicroseconds(usec);
    }

    public async ValueTask DisposeAsync()
    {
        await _end.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _end.Dispose();
        _socket.Dispose();
    }

    /// <summary>The drain begins: STOPPING=1, at once (called from the stop signal's callback); nothing after a handover.</summary>
    public void Stopping()
    {
        if (Volatile.Read(ref _handedOver) == 0)
        {
            Send($"STOPPING=1\nSTATUS={Describe("draining", null)}");
        }
    }

    /// <summary>
    /// An upgrade: <paramref name="pid"/> is the service's main process from now on (MAINPID=, which
    /// systemd takes from the current main process under NotifyAccess=main). This process sends
    /// nothing more: no STOPPING=1 (the service goes on), no watchdog pings for the new main process.
    /// </summary>
    public void HandOver(int pid)
    {
        Send(string.Create(CultureInfo.InvariantCulture, $"MAINPID={pid}\nSTATUS=upgraded: new master {pid} serves; old master {Environment.ProcessId} finishes its clients"));
        Volatile.Write(ref _handedOver, 1);
        _end.Cancel();
    }

    /// <summary>The notifier's loop, owned by <see cref="_loop"/> and awaited on dispose; a failure is logged, not left in the task.</summary>
    private async Task RunAsync(CancellationToken stop)
    {
        try
        {
            await NotifyAsync(stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_end.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            HostingLog.SystemdNotifierFailed(_logger, ex.Message);
        }
    }

    private async Task NotifyAsync(CancellationToken stop)
    {
        using var ready = CancellationTokenSource.CreateLinkedTokenSource(stop, _end.Token);
        try
        {
            await _board.Serving.WaitAsync(ready.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (stop.IsCancellationRequested)
        {
            // Stopped while it started: systemd has had STOPPING=1 already.
            return;
        }

        Send($"READY=1\nSTATUS={Describe("serving", null)}");
        // Watchdog pings at half its period (as sd_watchdog_enabled advises) or every StatusPeriod, whichever is more often.
        TimeSpan tick = _watchdog is { } period && period / 2 < StatusPeriod ? period / 2 : StatusPeriod;
        tick = tick < MinimumTick ? MinimumTick : tick;
        HostingLog.SystemdNotified(_logger, _watchdog is null ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"; watchdog pings every {tick.TotalSeconds:0.###} s"));
        using var timer = new PeriodicTimer(tick);
        DateTime lastStatus = DateTime.UtcNow;
        while (await timer.WaitForNextTickAsync(_end.Token).ConfigureAwait(false))
        {
            StatusTotals? totals = await CaptureAsync(tick < HealthTimeout ? tick : HealthTimeout).ConfigureAwait(false);
            if (totals is null)
            {
                // The accept path does not answer: no ping, so that systemd sees a stuck server.
                continue;
            }

            bool status = DateTime.UtcNow - lastStatus >= StatusPeriod - (tick / 2);
            var message = new StringBuilder();
            if (_watchdog is not null)
            {
                message.Append("WATCHDOG=1\n");
            }

            if (status)
            {
                message.Append("STATUS=").Append(Describe(_board.State, totals)).Append('\n');
                lastStatus = DateTime.UtcNow;
            }

            if (message.Length > 0)
            {
                Send(message.ToString());
            }
        }
    }

    /// <summary>The board's totals within <paramref name="timeout"/>; null when it does not answer in time.</summary>
    private async Task<StatusTotals?> CaptureAsync(TimeSpan timeout)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_end.Token);
        deadline.CancelAfter(timeout);
        try
        {
            return (await _board.CaptureAsync(deadline.Token, totalsOnly: true).WaitAsync(deadline.Token).ConfigureAwait(false)).Totals;
        }
        catch (Exception) when (!_end.IsCancellationRequested)
        {
            // Late, or failed (a worker's channel broke): either way not healthy now.
            return null;
        }
    }

    private string Describe(string state, StatusTotals? totals) => totals is null
        ? string.Create(CultureInfo.InvariantCulture, $"{state} (model {_board.Model})")
        : string.Create(CultureInfo.InvariantCulture, $"{state} (model {_board.Model}): clients {totals.Active} active, {totals.Accepted} accepted");

    /// <summary>One datagram; never blocks and never throws (a missing or full socket costs a throttled warning).</summary>
    private void Send(string message)
    {
        try
        {
            _socket.SendTo(Encoding.UTF8.GetBytes(message), SocketFlags.None, _target);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            if (_sendFailures.Allow(out long held))
            {
                HostingLog.SystemdNotifyFailed(_logger, ex.Message, LogThrottle.More(held));
            }
        }
    }
}
