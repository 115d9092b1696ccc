using Reverb.Hosting;

namespace Reverb.Models;

/// <summary>
/// One process, one thread per client with blocking calls: the simplest concurrent design. Each
/// client costs a thread (stack, scheduling), so --max-clients caps them.
/// </summary>
internal sealed class ThreadsModel : IServerModel
{
    public async Task RunAsync(ServeContext context, CancellationToken stop)
    {
        using var server = new AcceptLoopServer(context.Listener, ConnectionDispatch.Thread, context.Echo, context.MaxClients, context.Logger);
        context.ReportListening("threads", $"one thread per client, at most {context.MaxClients}");
        await server.AcceptAsync(stop).ConfigureAwait(false);
        context.Listener.Dispose();
        await server.DrainAsync(context.DrainTimeout).ConfigureAwait(false);
    }
}
