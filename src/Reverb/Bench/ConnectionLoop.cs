using System.Net.Sockets;

namespace Reverb.Bench;

/// <summary>
/// The life of a long-lived benchmark connection: connect, run a session until the run stops, and on any failure
/// count it, pause briefly and reconnect. Shared by the workloads that keep their connections open.
/// </summary>
internal static class ConnectionLoop
{
    public static async Task RunAsync(WorkerContext context, Func<Socket, Task> session)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(session);
        while (!context.Clock.IsStopping)
        {
            Socket? socket = null;
            bool failed = false;
            try
            {
                socket = await context.Connector.ConnectAsync(context.Index, context.Watch).ConfigureAwait(false);
                await session(socket).ConfigureAwait(false);
            }
            catch (Exception ex) when (FailureClassifier.IsConnectionFailure(ex))
            {
                context.RecordFailure(ex);
                failed = true;
            }
            finally
            {
                context.Watch.Detach();
                socket?.Dispose();
            }

            if (failed)
            {
                await context.BackOffAsync().ConfigureAwait(false);
            }
        }
    }
}
