using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Reverb.Serving;

namespace Reverb.Hosting;

/// <summary>
/// Turns SIGTERM and SIGINT (Ctrl-C) into a cancellation token instead of the runtime's default
/// immediate exit, so a server can stop accepting and drain its connections. A second one during
/// the drain completes <see cref="StopNow"/>: the operator means it. SIGHUP is a reload when the
/// owner handles it, otherwise logged and ignored.
/// </summary>
internal sealed class ShutdownSignals : IDisposable
{
    private readonly CancellationTokenSource _requested = new();
    private readonly TaskCompletionSource<string> _stopNow = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly PosixSignalRegistration[] _registrations;
    private readonly ILogger? _logger;
    private readonly LogThrottle _hangups = new(TimeSpan.FromSeconds(10));
    private readonly Action? _reload;

    /// <param name="logger">Where an ignored SIGHUP is reported (at most every 10 s); null: silently.</param>
    /// <param name="reload">What SIGHUP does (a graceful reload); null: it is ignored.</param>
    public ShutdownSignals(bool handleInterrupt = true, ILogger? logger = null, Action? reload = null)
    {
        _logger = logger;
        _reload = reload;
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGINT, handleInterrupt ? OnSignal : Ignore),

            // A hangup (a closed terminal, or an operator expecting a reload) must not end a server without a drain.
            PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnHangup),
        ];
    }

    public CancellationToken Token => _requested.Token;

    public string? Signal { get; private set; }

    /// <summary>Completes with the signal's name when a second SIGTERM or SIGINT arrives while draining.</summary>
    public Task<string> StopNow => _stopNow.Task;

    /// <summary>The exit code after a second signal, as a shell reports a process that signal killed (128 + its number).</summary>
    public static int ExitCodeFor(string signal) => signal == "SIGINT" ? 130 : 143;

    public void Dispose()
    {
        foreach (PosixSignalRegistration registration in _registrations)
        {
            registration.Dispose();
        }

        _requested.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true;
        string name = context.Signal == PosixSignal.SIGTERM ? "SIGTERM" : "SIGINT";
        if (_requested.IsCancellationRequested)
        {
            _stopNow.TrySetResult(name);
            return;
        }

        Signal ??= name;
        _requested.Cancel();
    }

    /// <summary>
    /// Stops as a signal would, without one: an upgrade has handed the listeners to a new master.
    /// A SIGTERM or SIGINT after it stops at once (<see cref="StopNow"/>).
    /// </summary>
    public void HandOver(string reason)
    {
        Signal ??= reason;
        _requested.Cancel();
    }

    private void OnHangup(PosixSignalContext context)
    {
        context.Cancel = true;
        if (_reload is not null)
        {
            _reload();
            return;
        }

        if (_logger is not null && _hangups.Allow())
        {
            HostingLog.HangupIgnored(_logger);
        }
    }

    // A worker ignores the terminal's Ctrl-C (sent to the whole process group): its master decides.
    private static void Ignore(PosixSignalContext context) => context.Cancel = true;
}
