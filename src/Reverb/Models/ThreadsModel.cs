using Reverb.Hosting;
using Reverb.Serving;

namespace Reverb.Models;

/// <summary>
/// One process, one thread per client with blocking calls: the simplest concurrent design. Each
/// client costs a thread (stack, scheduling), so --max-clients caps them.
/// </summary>
internal sealed class ThreadsModel : IServerModel
{
    public Task RunAsync(ServeContext context, CancellationToken stop) =>
        InProcessServing.RunAsync(context, ConnectionDispatch.Thread, "threads", "one thread per client", stop);
}
