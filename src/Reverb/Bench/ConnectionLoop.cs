using System.Net.Sockets;

namespace Reverb.Bench;

/// <summary>
/// How a worker keeps going until the run stops: attempt, and on a connection failure count it, pause briefly
/// and attempt again. Failures are counted, never allowed to end a worker.
/// </summary>
internal static class ConnectionLoop
{
    /// <summary>For workloads that keep a connection open: connect, run the session on it, reconnect after a failure.</summary>
    public static Task RunAsync(WorkerContext context, Func<Socket, Task> session)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(session);
        return RepeatAsync(context, async () =>
        {
            Socket socket = await context.Connector.ConnectAsync(context.Index, context.Watch).ConfigureAwait(false);
            try
            {
                await session(socket).ConfigureAwait(false);
            }
            finally
            {
                socket.Dispose();
            }
        });
    }

    /// <summary>Repeats <paramref name="attempt"/> until the run stops, counting each failed attempt.</summary>
    public static async Task RepeatAsync(WorkerContext context, Func<Task> attempt)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(attempt);
        while (!context.Clock.IsStopping)
        {
            bool failed = false;
            try
            {
                await attempt().ConfigureAwait(false);
            }
            catch (Exception ex) when (FailureClassifier.IsConnectionFailure(ex))
            {
                context.RecordFailure(ex);
                failed = true;
            }
            finally
            {
                context.Watch.Detach();
            }

            if (failed)
            {
                await context.BackOffAsync().ConfigureAwait(false);
            }
        }
    }
}
