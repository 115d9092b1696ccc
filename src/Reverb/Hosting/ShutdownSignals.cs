using System.Runtime.InteropServices;

namespace Reverb.Hosting;

/// <summary>
/// Turns SIGTERM and SIGINT (Ctrl-C) into a cancellation token instead of the runtime's default
/// immediate exit, so a server can stop accepting and drain its connections.
/// </summary>
internal sealed class ShutdownSignals : IDisposable
{
    private readonly CancellationTokenSource _requested = new();
    private readonly PosixSignalRegistration[] _registrations;

    public ShutdownSignals(bool handleInterrupt = true)
    {
        var registrations = new List<PosixSignalRegistration> { PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal) };
        registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, handleInterrupt ? OnSignal : Ignore));
        _registrations = [.. registrations];
    }

    public CancellationToken Token => _requested.Token;

    public string? Signal { get; private set; }

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
        Signal ??= context.Signal == PosixSignal.SIGTERM ? "SIGTERM" : "SIGINT";
        _requested.Cancel();
    }

    // A worker ignores the terminal's Ctrl-C (sent to the whole process group): its master decides.
    private static void Ignore(PosixSignalContext context) => context.Cancel = true;
}
