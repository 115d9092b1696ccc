using System.Net.Sockets;
using Reverb.Hosting;
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
        var settings = new WorkerSettings(WorkerRole.Process, context.Echo, 1, context.DrainTimeout, context.LogLevel);
        var pool = new WorkerPool(new WorkerLauncher(), settings, context.Pool, context.Logger, stop);
        try
        {
            await pool.StartAsync(TimeSpan.FromSeconds(60), stop).ConfigureAwait(false);
            context.ReportListening("process", $"{context.Pool.MinSpare}-{context.Pool.MaxSpare} spare workers, at most {context.Pool.MaxWorkers}");
            await AcceptAsync(context, pool, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            // Stop accepting first: clients that arrive now are refused rather than left waiting.
            context.Listener.Dispose();
            await pool.StopAsync(context.DrainTimeout).ConfigureAwait(false);
        }
    }

    private static async Task AcceptAsync(ServeContext context, WorkerPool pool, CancellationToken stop)
    {
        long nextId = 0;
        while (true)
        {
            // Take a worker first, so that a client is accepted only when someone can serve it.
            WorkerHandle worker = await pool.AcquireIdleAsync(stop).ConfigureAwait(false);
            Socket client;
            try
            {
                client = await context.Listener.AcceptAsync(stop).ConfigureAwait(false);
            }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset or SocketError.TooManyOpenSockets)
            {
                pool.Release(worker);
                continue;
            }

            using (client)
            {
                string peer = AcceptLoopServer.PeerName(client);
                long id = ++nextId;

                // The master's copy is closed right after the hand-over; the worker holds the only one.
                while (!pool.Assign(worker, client, id, peer))
                {
                    worker = await pool.AcquireIdleAsync(stop).ConfigureAwait(false);
                }

                ServerLog.Accepted(context.Logger, peer, worker.Pid);
            }
        }
    }
}
