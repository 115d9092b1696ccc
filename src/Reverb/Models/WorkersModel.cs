using Reverb.Listening;
using Reverb.Serving;
using Reverb.Supervision;

namespace Reverb.Models;

/// <summary>
/// A fixed number of worker processes, each multiplexing many clients (nginx's design). Workers
/// accept directly on listening sockets of their own (SO_REUSEPORT, so the kernel spreads clients
/// evenly) that the master creates and keeps open, so the master is on neither the accept nor the
/// data path and a dead worker's queued connections wait for its replacement. A worker that dies
/// takes only its own clients with it. Listening sockets passed by a service manager are shared
/// by all the workers instead (one accept queue, kept by systemd across restarts).
/// </summary>
internal sealed class WorkersModel : IServerModel
{
    public async Task RunAsync(ServeContext context, CancellationToken stop)
    {
        int perWorker = Math.Max(1, (context.MaxClients + context.Workers - 1) / context.Workers);
        var settings = new WorkerSettings(WorkerRole.Multiplex, context.Echo, context.ProxyProtocol, perWorker, context.DrainTimeout, context.LogLevel, context.LogFormat, context.MaxPerSource, context.ProxyTimeout, context.TrustedProxies?.Ranges ?? []);
        // Passed sockets are shared even with ReusePort=yes: sockets of our own would hold connections
        // that a restart drops (systemd's socket keeps its queue), and SO_REUSEPORT lets only the
        // socket's owner (root, for systemd) join its port.
        bool ownQueues = !context.ListenersPassed && context.Listeners.All(ServerListener.HasReusePort);
        SourceLimit? perSource = context.NewSourceLimit();
        var group = new WorkerGroup(new WorkerLauncher(), settings, context.Listeners, ownQueues, context.Backlog, context.Workers, perSource, context.Logger, stop, context.Control?.InheritedQueues);
        try
        {
            await group.StartAsync(TimeSpan.FromSeconds(60), stop).ConfigureAwait(false);
            context.Status.Attach(group);
            context.ReportListening("workers", $"{context.Workers} workers: {string.Join(", ", group.Pids())}");
            context.Control?.OnReload(group.RequestReload);
            context.Control?.OnHandDown(() => group.OwnListeners);
            await Task.Delay(Timeout.Infinite, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            context.Status.Draining();
            await group.StopAsync(context.StopDrain).ConfigureAwait(false);
            group.CloseOwnListeners();
            context.CloseListeners();
        }
    }
}
