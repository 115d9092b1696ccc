using System.CommandLine;
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
/// <c>reverb worker</c>: the role a master starts its worker processes in (hidden from help).
/// The arguments make it recognisable in <c>ps</c> as a worker of a given master.
/// </summary>
internal static class WorkerCommand
{
    public static Command Create()
    {
        var role = new Option<string>("--role") { Required = true };
        role.AcceptOnlyFromAmong("multiplex");
        var master = new Option<int>("--master") { Required = true };
        var channelFd = new Option<int>("--channel-fd") { Required = true };
        var bufferSize = new Option<int>("--buffer-size") { DefaultValueFactory = _ => EchoOptions.DefaultBufferSize };
        var idleTimeoutMs = new Option<long>("--idle-timeout-ms");
        var maxClients = new Option<int>("--max-clients") { DefaultValueFactory = _ => 1 };
        var logLevel = new Option<LogLevel>("--log-level") { DefaultValueFactory = _ => LogLevel.Information };
        var logChunks = new Option<bool>("--log-chunks");
        var drainMs = new Option<long>("--drain-ms") { DefaultValueFactory = _ => 5000 };
        var logJson = new Option<bool>("--log-json");
        var proxyProtocol = new Option<bool>("--proxy-protocol");
        var maxPerSource = new Option<int>("--max-per-source");
        var proxyTimeoutMs = new Option<long>("--proxy-timeout-ms");
        var trustedProxy = new Option<string[]>("--trusted-proxy") { AllowMultipleArgumentsPerToken = false };

        var command = new Command("worker", "Internal: a worker process started by a reverb master.")
        {
            Hidden = true,
        };
        command.Options.Add(role);
        command.Options.Add(master);
        command.Options.Add(channelFd);
        command.Options.Add(bufferSize);
        command.Options.Add(idleTimeoutMs);
        command.Options.Add(maxClients);
        command.Options.Add(logLevel);
        command.Options.Add(logChunks);
        command.Options.Add(drainMs);
        command.Options.Add(logJson);
        command.Options.Add(proxyProtocol);
        command.Options.Add(maxPerSource);
        command.Options.Add(proxyTimeoutMs);
        command.Options.Add(trustedProxy);

        command.SetAction(async (parse, _) =>
        {
            long idleMs = parse.GetValue(idleTimeoutMs);
            bool proxied = parse.GetValue(proxyProtocol);
            var echo = new EchoOptions(parse.GetValue(bufferSize), idleMs > 0 ? TimeSpan.FromMilliseconds(idleMs) : null, parse.GetValue(logChunks));
            return await RunAsync(parse.GetValue(role)!, parse.GetValue(master), parse.GetValue(channelFd), echo, proxied, parse.GetValue(maxClients), TimeSpan.FromMilliseconds(parse.GetValue(drainMs)), parse.GetValue(logLevel), parse.GetValue(logJson) ? LogFormat.Json : LogFormat.Text, parse.GetValue(maxPerSource), parse.GetValue(proxyTimeoutMs) is > 0 and var headerMs ? TimeSpan.FromMilliseconds(headerMs) : null, TrustedProxies.Parse(parse.GetValue(trustedProxy) ?? [])).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(string role, int masterPid, int channelFd, EchoOptions echo, bool proxyProtocol, int maxClients, TimeSpan drain, LogLevel level, LogFormat format, int maxPerSource, TimeSpan? proxyTimeout, TrustedProxies trusted)
    {
        // Inherited from the master as a rule; set here too so a worker never depends on it.
        SocketEngineTuning.UseInlineCompletions();

        // The terminal's Ctrl-C reaches the whole process group; the master alone decides how to stop.
        using var ignoreInterrupt = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGINT, context => context.Cancel = true);

        // So does a hangup, which the master logs and ignores.
        using var ignoreHangup = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGHUP, context => context.Cancel = true);
        using ILoggerFactory logs = ReverbLogging.Create(level, format);
        ILogger logger = logs.CreateLogger($"reverb.worker[{Environment.ProcessId}]");
        using var channel = new WorkerChannel(channelFd, logger);

        // SIGTERM may reach workers directly (a service manager signals the whole group): drain like the master would.
        using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(
            System.Runtime.InteropServices.PosixSignal.SIGTERM,
            context =>
            {
                context.Cancel = true;
                channel.InjectShutdown(drain);
            });

        // The master may have died between spawning us and now: then there is nothing to do.
        if (Posix.getppid() != masterPid)
        {
            return ExitCodes.Ok;
        }

        await new MultiplexWorker(channel, echo, proxyProtocol, maxClients, maxPerSource, logger, proxyTimeout, trusted).RunAsync().ConfigureAwait(false);

        return ExitCodes.Ok;
    }
}
