using System.Net;
using System.Net.Sockets;
using Reverb.Hosting;
using Reverb.Monitoring;
using Reverb.Supervision;

namespace Reverb.Models;

/// <summary>
/// One process per client (the default). The master accepts and hands each connected socket to an
/// idle worker from a pool kept warm ahead of demand; a fault while serving one client harms only
/// that client's process.
/// </summary>
internal sealed class ProcessModel : IServerModel
{
    public async Task RunAsync(ServeContext context, CancellationToken stop)
    {
        var settings = new WorkerSettings(WorkerRole.Process, context.Echo, context.ProxyProtocol, 1, context.DrainTimeout, context.LogLevel, context.LogFormat);
        SourceLimit? perSource = context.NewSourceLimit();
        var pool = new WorkerPool(new WorkerLauncher(), settings, context.Pool, perSource, context.Logger, stop);
        try
        {
            await pool.StartAsync(TimeSpan.FromSeconds(60), stop).ConfigureAwait(false);
            context.Status.Attach(pool);
            context.ReportListening("process", $"{context.Pool.MinSpare}-{context.Pool.MaxSpare} spare workers, at most {context.Pool.MaxWorkers}");
            PerSourceGate? gate = perSource is null ? null : new PerSourceGate(perSource, pool.Connections, context.Logger);
            await Task.WhenAll(context.Listeners.Select(listener => AcceptAsync(context, listener, pool, gate, stop))).ConfigureAwait(false);
        }
        catch (Exception ex) when (stop.IsCancellationRequested && ex is OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            // Stop accepting first: clients that arrive now are refused rather than left waiting.
            context.CloseListeners();
            context.Status.Draining();
            await pool.StopAsync(context.DrainTimeout).ConfigureAwait(false);
        }
    }

    private static async Task AcceptAsync(ServeContext context, Socket listener, WorkerPool pool, PerSourceGate? perSource, CancellationToken stop)
    {
        var outOfDescriptors = new LogThrottle(TimeSpan.FromSeconds(10));
        while (true)
        {
            // Take a worker first, so that a client is accepted only when someone can serve it.
            WorkerHandle worker = await pool.AcquireIdleAsync(stop).ConfigureAwait(false);
            Socket? client = await ListenerAccept.AcceptOrSkipAsync(listener, outOfDescriptors, context.Logger, stop).ConfigureAwait(false);
            if (client is null)
            {
                pool.Release(worker);
                continue;
            }

            using (client)
            {
                string peer = AcceptLoopServer.PeerName(client);
                IPEndPoint? endpoint = AcceptLoopServer.PeerEndPoint(client);
                if (perSource is not null && endpoint is not null && !await perSource.AdmitAsync(endpoint, peer, stop).ConfigureAwait(false))
                {
                    // Closed at once, before any worker sees it; the reserved worker waits for the next client.
                    pool.Release(worker);
                    continue;
                }

                LiveConnection connection = pool.Connections.Open(endpoint, peer);

                // The master's copy is closed right after the hand-over; the worker holds the only one.
                while (!pool.Assign(worker, client, connection))
                {
                    worker = await pool.AcquireIdleAsync(stop).ConfigureAwait(false);
                }

                ServerLog.Accepted(context.Logger, peer, worker.Pid);
            }
        }
    }
}
