using Reverb.Hosting;

namespace Reverb.Models;

/// <summary>The single-process models differ only in where a connection runs; this is the rest.</summary>
internal static class InProcessServing
{
    public static async Task RunAsync(ServeContext context, ConnectionDispatch dispatch, string model, string details, CancellationToken stop)
    {
        using var server = new AcceptLoopServer(context.Listeners, dispatch, context.Echo, context.MaxClients, context.Logger);
        context.ReportListening(model, $"{details}, at most {context.MaxClients}");
        await server.AcceptAsync(stop).ConfigureAwait(false);
        context.CloseListeners();
        await server.DrainAsync(context.DrainTimeout).ConfigureAwait(false);
    }
}
