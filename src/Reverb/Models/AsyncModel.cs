using Reverb.Hosting;
using Reverb.Serving;

namespace Reverb.Models;

/// <summary>
/// One process, every client multiplexed on the runtime's event loop (epoll): no thread and no
/// process per client, so tens of thousands of idle clients cost little; no isolation between them.
/// </summary>
internal sealed class AsyncModel : IServerModel
{
    public Task RunAsync(ServeContext context, CancellationToken stop) =>
        InProcessServing.RunAsync(context, ConnectionDispatch.EventLoop, "async", "clients multiplexed on the event loop", stop);
}
