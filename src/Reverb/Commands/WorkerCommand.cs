using Microsoft.Extensions.Logging;
using Reverb.Echo;
using Reverb.Hosting;
using Reverb.Interop;
using Reverb.Listening;
using Reverb.Logging;
using Reverb.Protocol;
using Reverb.Proxy;
using Reverb.Supervision;

namespace Reverb.Commands;

/// <summary>
/// <c>reverb worker</c>: the role a master starts its worker processes in (not a public command).
/// The arguments make it recognisable in <c>ps</c> as a worker of a given master.
/// </summary>
internal static class WorkerCommand
{
    /// <param name="args">The command line <see cref="WorkerSettings.ToArguments"/> wrote.</param>
    public static async Task<int> RunAsync(string[] args)
    {
        WorkerSettings settings;
        try
        {
            settings = WorkerSettings.Parse(args);
        }
        catch (FormatException ex)
        {
            await Console.Error.WriteLineAsync($"reverb worker: {ex.Message}").ConfigureAwait(false);
            return ExitCodes.Usage;
        }

        // Inherited from the master as a rule; set here too so a worker never depends on it.
        SocketEngineTuning.UseInlineCompletions();

        // The terminal's Ctrl-C reaches the whole process group; the master alone decides how to stop.
        using var ignoreInterrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGINT, context => context.Cancel = true);

        // So does a hangup, which the master logs and ignores.
        using var ignoreHangup = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGHUP, context => context.Cancel = true);
        using ILoggerFactory logs = ReverbLogging.Create(settings.LogLevel, settings.LogFormat);
        ILogger logger = logs.CreateLogger($"reverb.worker[{Environment.ProcessId}]");
        using var channel = new WorkerChannel(settings.ChannelFd, logger);

        // SIGTERM may reach workers directly (a service manager signals the whole group): drain like the master would.
        using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM,
            context =>
            {
                context.Cancel = true;
                channel.InjectShutdown(settings.Drain);
            });

        // The master may have died between spawning us and now: then there is nothing to do.
        if (Posix.getppid() != settings.MasterPid)
        {
            return ExitCodes.Ok;
        }

        var trusted = new TrustedProxies(settings.TrustedProxies ?? []);
        await new MultiplexWorker(channel, settings.Echo, settings.ProxyProtocol, settings.MaxClients, settings.MaxPerSource, logger, settings.ProxyTimeout, trusted).RunAsync().ConfigureAwait(false);

        return ExitCodes.Ok;
    }
}
