using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Reverb.Interop;
using Reverb.Supervision;

namespace Reverb.Hosting;

/// <summary>
/// The old master's side of an in-place upgrade (SIGUSR2, as nginx does it): starts a new master
/// from the executable on disk, with the same arguments and environment, handing down the listening
/// sockets (TCP and UDP) by inheritance so that no connection is refused; once the new master says
/// it serves, hands over (<c>handOver</c>: stop accepting, give up the status socket, tell systemd
/// the new main pid) and answers it. A new master that exits or is not ready in time is stopped,
/// and this master goes on serving.
/// </summary>
internal sealed class MasterUpgrade : IAsyncDisposable
{
    /// <summary>How long a new master may take to serve every listener (it starts its own workers or forking process).</summary>
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    // Linux's number: PosixSignal names only the portable signals, and takes raw numbers for the rest.
    private const int SIGUSR2 = 12;

    private readonly ReverbSelf _self;
    private readonly IReadOnlyList<string> _arguments;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly Func<IReadOnlyList<Socket>> _sockets;
    private readonly Func<Socket?> _metrics;
    private readonly Task _serving;
    private readonly Func<int, Task> _handOver;
    private readonly ILogger _logger;
    private readonly CancellationToken _stop;
    private readonly Lock _gate = new();
    private readonly PosixSignalRegistration _signal;
    private Task _attempt = Task.CompletedTask;
    private int _starting;
    private int _handedOverTo;

    /// <param name="self">The executable by the path it was started from (a new file may have been put there since).</param>
    /// <param name="arguments">This master's arguments, given to the new one.</param>
    /// <param name="environment">Variables to give the new master back (NOTIFY_SOCKET, read and removed at start).</param>
    /// <param name="sockets">The listening sockets to hand down, TCP and UDP.</param>
    /// <param name="metrics">The metrics endpoint's listening socket, handed down too; null without one.</param>
    /// <param name="serving">Completes once this master serves: before, there is nothing to hand over.</param>
    /// <param name="handOver">Called with the new master's pid once it serves: give up the status socket, stop accepting.</param>
    public MasterUpgrade(ReverbSelf self, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, Func<IReadOnlyList<Socket>> sockets, Func<Socket?> metrics, Task serving, Func<int, Task> handOver, ILogger logger, CancellationToken stop)
    {
        _serving = serving;
        _metrics = metrics;
        _self = self;
        _arguments = arguments;
        _environment = environment;
        _sockets = sockets;
        _handOver = handOver;
        _logger = logger;
        _stop = stop;
        _signal = PosixSignalRegistration.Create((PosixSignal)SIGUSR2, OnSignal);
    }

    /// <summary>The new master this one has handed over to; 0 until then.</summary>
    public int HandedOverTo => Volatile.Read(ref _handedOverTo);

    public async ValueTask DisposeAsync()
    {
        _signal.Dispose();
        Task attempt;
        lock (_gate)
        {
            attempt = _attempt;
        }

        await ChildProcesses.Completes(attempt, ReadyTimeout + TimeSpan.FromSeconds(10)).ConfigureAwait(false);
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        lock (_gate)
        {
            string? refusal = HandedOverTo != 0 ? $"this master has handed over to master {HandedOverTo} already"
                : !_attempt.IsCompleted ? $"an upgrade is already in progress ({(Volatile.Read(ref _starting) is > 0 and int pid ? $"new master {pid}" : "starting a new master")})"
                : _stop.IsCancellationRequested ? "the server is stopping"
                : !_serving.IsCompleted ? "the server is not serving yet"
                : null;
            if (refusal is not null)
            {
                UpgradeLog.Refused(_logger, refusal);
                return;
            }

            _attempt = Task.Run(UpgradeAsync);
        }
    }

    private async Task UpgradeAsync()
    {
        IReadOnlyList<Socket> sockets = _sockets();
        UpgradeLog.Starting(_logger, string.Join(' ', [_self.Executable, .. _self.LeadingArguments]), sockets.Count);
        (int mine, int theirs) = UnixChannelSocket.CreatePair();
        using var channel = new UpgradeChannel(mine);
        Process process;
        try
        {
            process = Start(sockets, _metrics(), theirs);
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            UpgradeLog.Failed(_logger, $"cannot start {_self.Executable}: {ex.Message}", Environment.ProcessId);
            return;
        }

        using (process)
        {
            Volatile.Write(ref _starting, process.Id);
            string? said = await channel.ReceiveAsync(ReadyTimeout, _stop).ConfigureAwait(false);
            if (said == UpgradeChannel.Ready && !_stop.IsCancellationRequested)
            {
                Volatile.Write(ref _handedOverTo, process.Id);
                UpgradeLog.Ready(_logger, process.Id, Environment.ProcessId);
                await _handOver(process.Id).ConfigureAwait(false);
                channel.Send(UpgradeChannel.Go);
                return;
            }

            // The channel ends as the new master exits: give its exit a moment to be seen.
            await ChildProcesses.Completes(process.WaitForExitAsync(), TimeSpan.FromSeconds(2)).ConfigureAwait(false);
            string reason = process.HasExited ? $"the new master {process.Id} exited before it was ready ({ExitDescription.Of(process)})"
                : _stop.IsCancellationRequested ? $"this master is stopping; new master {process.Id} stopped"
                : said is null ? $"the new master {process.Id} was not ready within {ReadyTimeout.TotalSeconds:0} s; stopped it"
                : $"the new master {process.Id} said '{said}'; stopped it";
            ChildProcesses.TryKill(process);
            await ChildProcesses.Completes(process.WaitForExitAsync(), TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            UpgradeLog.Failed(_logger, reason, Environment.ProcessId);
        }
    }

    /// <summary>Starts the new master with the sockets and its end of the channel inherited (close-on-exec cleared only meanwhile).</summary>
    private Process Start(IReadOnlyList<Socket> sockets, Socket? metrics, int channel)
    {
        int[] inherited = [.. sockets.Select(s => (int)s.SafeHandle.DangerousGetHandle())];
        int metricsFd = metrics is null ? -1 : (int)metrics.SafeHandle.DangerousGetHandle();
        try
        {
            ProcessStartInfo start = _self.StartInfo(_arguments);
            foreach ((string name, string value) in _environment)
            {
                start.Environment[name] = value;
            }

            // Socket activation's variables were meant for this process; the watchdog's pid is this one's.
            foreach (string name in (string[])["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "WATCHDOG_PID"])
            {
                start.Environment.Remove(name);
            }

            start.Environment[UpgradeSuccessor.SocketsVariable] = string.Join(',', inherited.Select(fd => fd.ToString(CultureInfo.InvariantCulture)));
            start.Environment[UpgradeSuccessor.ChannelVariable] = channel.ToString(CultureInfo.InvariantCulture);
            if (metricsFd >= 0)
            {
                start.Environment[UpgradeSuccessor.MetricsVariable] = metricsFd.ToString(CultureInfo.InvariantCulture);
            }

            return InheritingStart.Start([.. inherited, channel, metricsFd], () => Process.Start(start) ?? throw new InvalidOperationException("no process"));
        }
        finally
        {
            Posix.close(channel);
        }
    }
}
