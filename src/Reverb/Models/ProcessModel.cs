using Microsoft.Extensions.Logging;
using Reverb.Forking;
using Reverb.Logging;
using Reverb.Proxy;
using Reverb.Supervision;

namespace Reverb.Models;

/// <summary>
/// One process per client (the default), as the classic Unix server does it: a single-threaded
/// forking process accepts each client and forks a child that echoes it, then exits. A fault while
/// serving one client harms only that client's process. The master keeps the listening sockets,
/// supervises the forking process, and answers status, metrics and UDP.
/// </summary>
internal sealed class ProcessModel : IServerModel
{
    public async Task RunAsync(ServeContext context, CancellationToken stop)
    {
        using var supervisor = new ForkSupervisor(ForkerTemplate(context), context.Listeners, context.Logger);
        try
        {
            await supervisor.StartAsync(TimeSpan.FromSeconds(60), stop).ConfigureAwait(false);
            context.Status.Attach(supervisor);
            context.Control?.OnReload(supervisor.RequestReload);
            context.ReportListening("process", context.ClientsPerProcess == 1
                ? $"a process forked per client, at most {context.MaxClients}"
                : $"a forked process serves up to {context.ClientsPerProcess} clients in turn, at most {context.MaxClients} at once");
            await supervisor.SuperviseAsync(stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            // Stop accepting first: clients that arrive now are refused rather than left waiting.
            context.CloseListeners();
            context.Status.Draining();
            await supervisor.StopAsync(context.StopDrain).ConfigureAwait(false);
        }
    }

    private static ForkerSettings ForkerTemplate(ServeContext context) => new(
        MasterPid: Environment.ProcessId,
        Generation: 0,
        ChannelFd: -1,
        TableFd: -1,
        TableCapacity: 0,
        ListenFds: [],
        MaxClients: context.MaxClients,
        ClientsPerProcess: context.ClientsPerProcess,
        MaxPerSource: context.MaxPerSource,
        BufferSize: context.Echo.BufferSize,
        IdleTimeoutMs: (long)(context.Echo.IdleTimeout?.TotalMilliseconds ?? 0),
        DrainMs: (long)context.DrainTimeout.TotalMilliseconds,
        ProxyTimeoutMs: (long)(context.ProxyTimeout ?? ProxyHeaderReader.DefaultTimeout).TotalMilliseconds,
        ProxyProtocol: context.ProxyProtocol,
        LogChunks: context.Echo.LogChunks && context.LogLevel <= LogLevel.Debug,
        LogJson: context.LogFormat == LogFormat.Json,
        TrustedProxies: string.Join(',', context.TrustedProxies?.Ranges.Select(r => r.ToString()) ?? []));
}
