using Reverb.Hosting;
using Reverb.Monitoring;
using Reverb.Serving;

namespace Reverb.Models;

/// <summary>The single-process models differ only in where a connection runs; this is the rest.</summary>
internal static class InProcessServing
{
    public static async Task RunAsync(ServeContext context, ConnectionDispatch dispatch, string model, string details, CancellationToken stop)
    {
        SourceLimit? perSource = context.NewSourceLimit();
        using var server = new AcceptLoopServer(context.Listeners, dispatch, context.Echo, context.ProxyProtocol, context.MaxClients, perSource, context.Logger, context.ProxyTimeout, context.TrustedProxies);
        context.Status.Attach(new InProcessStatus(server.Connections));
        context.ReportListening(model, $"{details}, at most {context.MaxClients}");
        await server.AcceptAsync(stop).ConfigureAwait(false);
        context.CloseListeners();
        context.Status.Draining();
        await server.DrainAsync(context.StopDrain).ConfigureAwait(false);
    }
}
