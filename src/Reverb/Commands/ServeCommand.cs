using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Reverb.Echo;
using Reverb.Hosting;
using Reverb.Interop;
using Reverb.Listening;
using Reverb.Logging;
using Reverb.Models;
using Reverb.Monitoring;
using Reverb.Proxy;
using Reverb.Serving;
using Reverb.Supervision;
using Reverb.Udp;

namespace Reverb.Commands;

/// <summary><c>reverb serve [PORT]</c>: the echo server, in the concurrency model of the user's choice.</summary>
internal static class ServeCommand
{
    private const string ModelHelp = """
        Concurrency model:
          process  one process per client (default): a crash harms only its client; costs a process per client; best for isolation
          workers  a few processes, each multiplexing many clients: a crash harms one worker's clients; cheap per client; best all-round
          threads  one process, one thread per client: simplest; a thread per client, no isolation; best for few clients
          async    one process, all clients on the event loop: cheapest per client, no isolation; best for very many clients
          [default: process]
        """;

    public static Command Create()
    {
        var port = new Argument<int>("PORT")
        {
            Description = "TCP port to listen on (RFC 862's echo port is 7; 0 picks a free port)",
            CustomParser = ParsePort,
        }.FromEnvironment(TryParsePort, 7, "a port from 0 to 65535");
        var host = new Option<string[]>("--host")
        {
            Description = "address to listen on; repeat for several: 0.0.0.0 (all IPv4), :: (all IPv6 and IPv4), 127.0.0.1, ::1, a host name",
            HelpName = "address",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
        }.FromEnvironment(TryParseHosts, ["0.0.0.0"], "addresses separated by commas");
        var model = new Option<ServerModelKind?>("--model", "-m") { Description = ModelHelp, HelpName = "process|workers|threads|async", CustomParser = ParseModel }
            .FromEnvironment(TryParseModel, null, "process, workers, threads or async");
        Option<string>[] removed =
        [
            Removed("--min-spare", "the process model forks a process at each accept, so no spare processes wait"),
            Removed("--max-spare", "the process model forks a process at each accept, so no spare processes wait"),
            Removed("--max-workers", "the process model serves up to --max-clients clients, one process each"),
            Removed("--recycle-after", "each client of the process model gets a fresh process"),
        ];
        var clientsPerProcess = Count("--clients-per-process", "process model: clients a forked process serves one after another before it exits, like Apache's MaxConnectionsPerChild (1: a fresh process for every client)", 1, min: 1);
        var workers = Count("--workers", "workers model: number of worker processes", Environment.ProcessorCount, min: 1);
        var maxClients = Count("--max-clients", "cap on concurrent clients; beyond it clients wait in the listen queue", 10_000, min: 1);
        var idleTimeout = new Option<TimeSpan?>("--idle-timeout") { Description = "close a client that makes no progress for this long, e.g. 5m [default: 0, never]", HelpName = "duration", CustomParser = r => DurationParser.Parse(r) }
            .FromEnvironment(TryParseDuration, null, "a duration such as 30s or 5m");
        var drainTimeout = new Option<TimeSpan?>("--drain-timeout") { Description = "on SIGTERM/Ctrl-C, how long open clients may finish before they are closed [default: 5s]", HelpName = "duration", CustomParser = r => DurationParser.Parse(r) }
            .FromEnvironment(TryParseDuration, null, "a duration such as 30s or 5m");
        var backlog = Count("--backlog", "listen queue length", ServerListener.DefaultBacklog, min: 1);
        var bufferSize = Count("--buffer-size", "bytes read at once per client (also the most held per client)", EchoOptions.DefaultBufferSize, min: 1);
        var verbose = new Option<bool>("--verbose", "-v") { Description = "also log every chunk received (escaped, cut to 64 bytes)" }
            .FromEnvironment(EnvironmentDefaults.TryParseFlag, false, "1 or 0");
        var quiet = new Option<bool>("--quiet", "-q") { Description = "log only warnings and errors" }
            .FromEnvironment(EnvironmentDefaults.TryParseFlag, false, "1 or 0");
        var proxyProtocol = new Option<bool>("--proxy-protocol") { Description = "expect a PROXY protocol header (v1 or v2, as HAProxy's send-proxy/send-proxy-v2 sends) on every connection: log the real client, reject connections without a valid one" }
            .FromEnvironment(EnvironmentDefaults.TryParseFlag, false, "1 or 0");
        var proxyTimeout = new Option<TimeSpan?>("--proxy-timeout") { Description = "with --proxy-protocol: close a connection whose header has not arrived within this long [default: 10s]", HelpName = "duration", CustomParser = r => DurationParser.Parse(r) }
            .FromEnvironment(TryParseDuration, null, "a duration such as 30s or 5m");
        var inetd = new Option<bool>("--inetd") { Description = "serve the one connection on standard input, then exit (inetd 'nowait', systemd Accept=yes)" };
        var udp = new Option<bool>("--udp") { Description = $"also echo UDP datagrams on the same port(s) (RFC 862); a datagram needs no per-client process, so the master answers it itself in every model; never answers source ports {UdpReflectionGuard.ServicePortsText}: services that answer anything, so a forged datagram would loop between them and this server forever (CVE-1999-0103, CVE-2024-2169); IPv6 sources are rate-limited per /64; under socket activation, the UDP sockets systemd passes (ListenDatagram=) are echoed with or without it" }
            .FromEnvironment(EnvironmentDefaults.TryParseFlag, false, "1 or 0");
        var udpRate = Count("--udp-rate", "with --udp, or for the UDP sockets systemd passes (ListenDatagram=): replies per second per source address, also the burst (0: unlimited)", 100, min: 0);
        var maxPerSource = Count("--max-conns-per-source", "close at once (and log) a client whose address already has this many connections, like systemd's MaxConnectionsPerSource (0: no limit); an IPv6 client counts by its /64; counts the TCP peer, except behind a --trusted-proxy, where it counts the real client its PROXY header names", 0, min: 0);
        var trustedProxy = new Option<string[]>("--trusted-proxy")
        {
            Description = "with --proxy-protocol: believe PROXY headers only from peers in this range (e.g. 10.0.0.0/8, 2001:db8::/32, 192.0.2.7); repeat for several; connections from other peers are rejected [default: any peer]",
            HelpName = "CIDR",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
            CustomParser = ParseTrustedProxies,
        }.FromEnvironment(TryParseTrustedProxies, [], "address ranges separated by commas, e.g. 10.0.0.0/8,::1");
        var metrics = new Option<string?>("--metrics") { Description = "serve Prometheus metrics at http://HOST:PORT/metrics, e.g. 127.0.0.1:9100, [::]:9100 (IPv6 and IPv4) or :9100 (every IPv4 address)", HelpName = "host:port", CustomParser = ParseMetrics }
            .FromEnvironment(TryParseMetrics, null, "HOST:PORT, e.g. 127.0.0.1:9100");
        var logFormat = new Option<LogFormat?>("--log-format") { Description = "text (one line per event) or json (one JSON object per line, for log collectors) [default: text]", HelpName = "text|json", CustomParser = ParseLogFormat }
            .FromEnvironment(TryParseLogFormat, null, "text or json");

        var command = new Command("serve", "Run the TCP echo server (RFC 862): every byte a client sends comes back to it, until it closes.")
        {
            port, host, model, clientsPerProcess, workers, maxClients,
            idleTimeout, drainTimeout, backlog, bufferSize, verbose, quiet, logFormat, inetd, proxyProtocol, proxyTimeout, udp, udpRate,
            maxPerSource, trustedProxy, metrics,
        };
        foreach (Option<string> option in removed)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, _) =>
        {
            string[] trusted = parse.GetValue(trustedProxy) ?? [];
            if (trusted.Length > 0 && !parse.GetValue(proxyProtocol))
            {
                throw new CliException("--trusted-proxy applies only with --proxy-protocol", ExitCodes.Usage);
            }

            if (parse.GetValue(inetd) && parse.GetValue(metrics) is not null)
            {
                throw new CliException("--metrics does not apply with --inetd (a process per connection)", ExitCodes.Usage);
            }

            if (parse.GetResult(clientsPerProcess) is { Implicit: false } && (parse.GetValue(model) ?? ServerModelKind.Process) != ServerModelKind.Process)
            {
                throw new CliException("--clients-per-process applies to the process model only", ExitCodes.Usage);
            }

            TimeSpan idle = parse.GetValue(idleTimeout) ?? TimeSpan.Zero;
            var settings = new ServeSettings(
                parse.GetValue(host) is { Length: > 0 } hosts ? hosts : ["0.0.0.0"],
                parse.GetValue(port),
                parse.GetValue(model) ?? ServerModelKind.Process,
                new EchoOptions(parse.GetValue(bufferSize), idle > TimeSpan.Zero ? idle : null, parse.GetValue(verbose)),
                parse.GetValue(workers),
                parse.GetValue(clientsPerProcess),
                parse.GetValue(maxClients),
                parse.GetValue(drainTimeout) ?? TimeSpan.FromSeconds(5),
                parse.GetValue(backlog),
                ReverbLogging.LevelFor(parse.GetValue(verbose), parse.GetValue(quiet)),
                parse.GetValue(logFormat) ?? LogFormat.Text,
                parse.GetValue(inetd),
                parse.GetValue(proxyProtocol),
                parse.GetValue(udp),
                parse.GetValue(udpRate),
                parse.GetValue(maxPerSource),
                parse.GetValue(metrics),
                parse.GetValue(proxyTimeout) is { } headerTimeout && headerTimeout > TimeSpan.Zero ? headerTimeout : ProxyHeaderReader.DefaultTimeout,
                TrustedProxies.Parse(trusted));
            return await RunAsync(settings).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(ServeSettings settings)
    {
        SocketEngineTuning.UseInlineCompletions();
        if (settings.Inetd)
        {
            return await RunInetdAsync(settings).ConfigureAwait(false);
        }

        // What an upgrade (SIGUSR2) needs to start this master again, taken before anything changes it.
        ReverbSelf self = ReverbSelf.AsStarted();
        Dictionary<string, string> systemd = SystemdVariables();
        using ILoggerFactory logs = ReverbLogging.Create(settings.LogLevel, settings.LogFormat);
        ILogger logger = logs.CreateLogger("reverb.master");
        using UpgradeSuccessor? successor = UpgradeSuccessor.Take(logger);
        var serveControl = new ServeControl { InheritedQueues = successor?.Queues ?? [] };
        using var signals = new ShutdownSignals(logger: logger, reload: () => Reload(serveControl, settings.Model, logger));
        ulong descriptors = DescriptorLimit.RaiseToHardLimit();
        ServeLog.DescriptorLimit(logger, descriptors);

        // An upgraded master serves the sockets its predecessor handed down; any other, a service manager's if it passed some.
        PassedSockets? passed = successor is null ? SocketActivation.TakeSockets() : null;
        if (passed is not null)
        {
            ServeLog.SocketsPassed(logger, passed.Listeners.Count, passed.Datagrams.Count, PassedUdpNote(passed, settings.Udp));
        }

        // The workers model gives each worker sockets of its own (SO_REUSEPORT) for an even spread.
        IReadOnlyList<System.Net.Sockets.Socket> listeners = successor?.Listeners ?? passed?.Listeners ?? ServerListener.ListenAll(
            [.. settings.Hosts.Select(h => ListenEndpoint.Resolve(h, settings.Port))], settings.Backlog, reusePort: settings.Model == ServerModelKind.Workers);
        // UDP starts before the model reports "listening on", and stops with the shutdown signal.
        UdpEchoServer? udp = StartUdp(successor?.Udp ?? passed?.Datagrams ?? [], listeners, settings, logger, signals.Token);
        var board = new StatusBoard(
            settings.Model.ToString().ToLowerInvariant(),
            [.. listeners.Select(l => l.LocalEndPoint?.ToString() ?? "?")],
            udp is null ? null : () => (udp.Echoed, udp.Refused));
        await using SystemdNotifier? notifier = SystemdNotifier.Start(board, logger, signals.Token);

        // In this order, from the signal on (at once if it came during the start): health checks and
        // systemd see the drain before the log says so and before the model closes its listeners.
        using CancellationTokenRegistration draining = signals.Token.Register(() =>
        {
            board.Draining();
            notifier?.Stopping();
            if (serveControl.HandingOver)
            {
                return;
            }

            ServeLog.Stopping(logger, signals.Signal, settings.DrainTimeout.TotalSeconds);
        });
        var context = new ServeContext(listeners, settings.Echo, settings.ProxyProtocol, settings.MaxClients, settings.DrainTimeout, settings.Workers, settings.ClientsPerProcess, settings.Backlog, settings.LogLevel, settings.LogFormat, settings.MaxPerSource, board, logger, settings.ProxyTimeout, settings.TrustedProxies, ListenersPassed: passed is not null, Control: serveControl);

        IServerModel model = settings.Model switch
        {
            ServerModelKind.Workers => new WorkersModel(),
            ServerModelKind.Threads => new ThreadsModel(),
            ServerModelKind.Async => new AsyncModel(),
            _ => new ProcessModel(),
        };

        MetricsEndpoint? metrics = null;
        ControlSocket? control = null;
        int port = listeners[0].LocalEndPoint is System.Net.IPEndPoint first ? first.Port : 0;
        await using var upgrade = new MasterUpgrade(
            self,
            Environment.GetCommandLineArgs()[1..],
            systemd,
            () => [.. listeners, .. serveControl.OwnQueues(), .. udp?.Sockets ?? []],
            () => metrics?.Listener,
            board.Serving,
            async newMaster =>
            {
                // Closed (and its path removed) before the new master is told to take the path.
                if (Interlocked.Exchange(ref control, null) is { } own)
                {
                    await own.DisposeAsync().ConfigureAwait(false);
                }

                // Scrapes go to the new master alone (the listening socket stays open there).
                if (Interlocked.Exchange(ref metrics, null) is { } scraped)
                {
                    await scraped.DisposeAsync().ConfigureAwait(false);
                }

                notifier?.HandOver(newMaster);
                serveControl.HandOver();
                signals.HandOver("upgrade");
            },
            logger,
            signals.Token);
        Task takeover = Task.CompletedTask;
        try
        {
            metrics = settings.Metrics is { } where ? StartMetrics(where, board, udp is not null, logger, successor?.Metrics) : null;
            if (metrics is not null)
            {
                ServeLog.MetricsOn(logger, metrics.Url);
            }

            if (successor is null)
            {
                control = port > 0 ? ControlSocket.TryStart(port, board, logger) : null;
            }
            else
            {
                // The old master answers on the status socket until it has handed over; then this one takes its path.
                takeover = TakeOverAsync(successor, board, port, logger, taken => control = taken, signals.Token);
            }

            Task serving = model.RunAsync(context, signals.Token);
            if (await Task.WhenAny(serving, signals.StopNow).ConfigureAwait(false) != serving)
            {
                // The drain is abandoned: its clients and workers go now.
                string second = await signals.StopNow.ConfigureAwait(false);
                ServeLog.StoppingNow(logger, second);
                ChildProcesses.KillAll(spare: upgrade.HandedOverTo);
                return ShutdownSignals.ExitCodeFor(second);
            }

            await serving.ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new CliException(ex.Message);
        }
        finally
        {
            await takeover.ConfigureAwait(false);
            if (udp is not null)
            {
                await udp.DisposeAsync().ConfigureAwait(false);
            }

            if (control is not null)
            {
                await control.DisposeAsync().ConfigureAwait(false);
            }

            if (metrics is not null)
            {
                await metrics.DisposeAsync().ConfigureAwait(false);
            }
        }

        if (upgrade.HandedOverTo != 0)
        {
            UpgradeLog.OldMasterDone(logger, Environment.ProcessId, upgrade.HandedOverTo);
            return ExitCodes.Ok;
        }

        ServeLog.Stopped(logger, signals.Signal ?? "listener closed");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// Datagram sockets passed by the service manager (or handed down by the master this one upgrades) are served whether or not --udp is given (the
    /// socket unit asked for them), and --udp then binds nothing more; without them, --udp binds UDP
    /// beside the TCP listeners, passed or not.
    /// </summary>
    private static UdpEchoServer? StartUdp(IReadOnlyList<System.Net.Sockets.Socket> boundAlready, IReadOnlyList<System.Net.Sockets.Socket> listeners, ServeSettings settings, ILogger logger, CancellationToken stop)
    {
        if (boundAlready.Count > 0)
        {
            return UdpEchoServer.Serve(boundAlready, settings.UdpRate, logger, stop);
        }

        return settings.Udp ? UdpEchoServer.Start(listeners, settings.UdpRate, logger, stop) : null;
    }

    private static string PassedUdpNote(PassedSockets passed, bool udp) => (passed.Datagrams.Count, udp) switch
    {
        ( > 0, true) => "; --udp binds nothing more",
        (0, true) => "; --udp binds UDP beside them",
        _ => string.Empty,
    };

    /// <summary>SIGHUP: the model replaces its processes, or says why it does not.</summary>
    private static void Reload(ServeControl control, ServerModelKind model, ILogger logger)
    {
        if (model is ServerModelKind.Threads or ServerModelKind.Async)
        {
            ReloadLog.Nothing(logger, model.ToString().ToLowerInvariant());
        }
        else if (control.RequestReload() is null)
        {
            ReloadLog.NotNow(logger, "the model is not serving yet");
        }
    }

    /// <summary>NOTIFY_SOCKET and WATCHDOG_USEC as systemd gave them (the notifier removes them): an upgraded master needs them again.</summary>
    private static Dictionary<string, string> SystemdVariables()
    {
        var variables = new Dictionary<string, string>();
        foreach (string name in (string[])["NOTIFY_SOCKET", "WATCHDOG_USEC"])
        {
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } value)
            {
                variables[name] = value;
            }
        }

        return variables;
    }

    /// <summary>An upgraded master: once it serves, tells the old master, then takes over the status socket's path.</summary>
    private static async Task TakeOverAsync(UpgradeSuccessor successor, StatusBoard board, int port, ILogger logger, Action<ControlSocket?> taken, CancellationToken stop)
    {
        try
        {
            await board.Serving.WaitAsync(stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        await successor.HandOverAsync(logger, stop).ConfigureAwait(false);
        if (!stop.IsCancellationRequested && port > 0)
        {
            taken(ControlSocket.TryStart(port, board, logger, takeOver: true));
        }
    }

    private static MetricsEndpoint StartMetrics(string where, StatusBoard board, bool udp, ILogger logger, System.Net.Sockets.Socket? inherited)
    {
        try
        {
            return MetricsEndpoint.Start(where, board, udp, logger, inherited);
        }
        catch (Exception ex) when (ex is ArgumentException or ServerStartException)
        {
            throw new CliException($"--metrics: {ex.Message}");
        }
    }

    private static async Task<int> RunInetdAsync(ServeSettings settings)
    {
        // Logs go to standard error, and only when it is not the client's socket as well.
        LogLevel level = InetdConnection.StandardErrorIsSeparate() ? settings.LogLevel : LogLevel.None;
        using ILoggerFactory logs = ReverbLogging.Create(level, settings.LogFormat, toStandardError: true);
        using var signals = new ShutdownSignals();
        await InetdConnection.ServeAsync(new ClientSession(settings.Echo, settings.ProxyProtocol, logs.CreateLogger("reverb.inetd"), settings.ProxyTimeout, settings.TrustedProxies), settings.DrainTimeout, logs.CreateLogger("reverb.inetd"), signals.Token).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    /// <summary>An option of an earlier process model: hidden, and a one-line error if given, never silently ignored.</summary>
    private static Option<string> Removed(string name, string why)
    {
        var option = new Option<string>(name) { Hidden = true };
        option.Validators.Add(result => result.AddError($"{name} is gone: {why}"));
        return option;
    }

    private static Option<int> Count(string name, string description, int defaultValue, int min)
    {
        string expected = $"a whole number of at least {min}";
        return new Option<int>(name)
        {
            Description = description,
            CustomParser = result =>
            {
                string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
                if (TryParseCount(text, min, out int value))
                {
                    return value;
                }

                result.AddError($"{name}: '{text}' is not valid: expected {expected}");
                return defaultValue;
            },
        }.FromEnvironment((string text, out int value) => TryParseCount(text, min, out value), defaultValue, expected);
    }

    private static bool TryParseCount(string text, int min, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min;

    private static bool TryParsePort(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port is >= 0 and <= 65535;

    private static bool TryParseHosts(string text, out string[] hosts)
    {
        hosts = text.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return hosts.Length > 0;
    }

    private static bool TryParseTrustedProxies(string text, out string[] ranges)
    {
        ranges = text.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        try
        {
            TrustedProxies.Parse(ranges);
            return ranges.Length > 0;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static string[] ParseTrustedProxies(ArgumentResult result)
    {
        string[] ranges = [.. result.Tokens.Select(t => t.Value)];
        try
        {
            TrustedProxies.Parse(ranges);
        }
        catch (FormatException ex)
        {
            result.AddError($"--trusted-proxy: {ex.Message}");
        }

        return ranges;
    }

    private static bool TryParseDuration(string text, out TimeSpan? duration)
    {
        bool ok = DurationParser.TryParse(text, out TimeSpan parsed);
        duration = ok ? parsed : null;
        return ok;
    }

    private static bool TryParseModel(string text, out ServerModelKind? model)
    {
        model = null;
        if (!int.TryParse(text, out _) && Enum.TryParse(text, ignoreCase: true, out ServerModelKind kind) && Enum.IsDefined(kind))
        {
            model = kind;
        }

        return model is not null;
    }

    private static bool TryParseLogFormat(string text, out LogFormat? format)
    {
        format = text.Trim().ToLowerInvariant() switch
        {
            "text" => LogFormat.Text,
            "json" => LogFormat.Json,
            _ => null,
        };
        return format is not null;
    }

    private static bool TryParseMetrics(string text, out string? where)
    {
        where = text;
        try
        {
            MetricsEndpoint.Parse(text);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string? ParseMetrics(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
        try
        {
            MetricsEndpoint.Parse(text);
            return text;
        }
        catch (ArgumentException ex)
        {
            result.AddError($"--metrics: {ex.Message}");
            return null;
        }
    }

    private static int ParsePort(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "7";
        if (text.StartsWith('-'))
        {
            result.AddError($"unknown option '{text}'");
            return 0;
        }

        if (TryParsePort(text, out int value))
        {
            return value;
        }

        result.AddError($"'{text}' is not a valid port: use a number from 1 to 65535 (0 picks a free port)");
        return 0;
    }

    private static ServerModelKind? ParseModel(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "process";
        if (TryParseModel(text, out ServerModelKind? model))
        {
            return model;
        }

        result.AddError($"'{text}' is not a model: use process, workers, threads or async");
        return null;
    }

    private static LogFormat? ParseLogFormat(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "text";
        if (TryParseLogFormat(text, out LogFormat? format))
        {
            return format;
        }

        result.AddError($"'{text}' is not a log format: use text or json");
        return null;
    }
}
