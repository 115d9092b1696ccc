using Reverb.Hosting;

namespace Reverb.Models;

/// <summary>
/// One process, every client multiplexed on the runtime's event loop (epoll): no thread and no
/// process per client, so tens of thousands of idle clients cost little; no isolation between them.
/// </summary>
internal sealed class AsyncModel : IServerModel
{
    public async Task RunAsync(ServeContext context, CancellationToken stop)
    {
        using var server = new AcceptLoopServer(context.Listener, ConnectionDispatch.EventLoop, context.Echo, context.MaxClients, context.Logger);
        context.ReportListening("async", $"clients multiplexed on the event loop, at most {context.MaxClients}");
        await server.AcceptAsync(stop).ConfigureAwait(false);
        context.Listener.Dispose();
        await server.DrainAsync(context.DrainTimeout).ConfigureAwait(false);
    }
}
