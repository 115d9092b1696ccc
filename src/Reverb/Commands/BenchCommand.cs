using System.CommandLine;
using Reverb.Bench;
using Reverb.Client;

namespace Reverb.Commands;

/// <summary>`reverb bench HOST PORT`: load-tests any echo server and verifies every echoed byte.</summary>
internal static class BenchCommand
{
    private static readonly string[] WorkloadNames = ["pingpong", "stream", "churn", "idle"];

    public static Command Create()
    {
        var host = new Argument<string>("HOST") { Description = "Echo server address or name, e.g. 127.0.0.1." };
        var port = PortArgument.Create();
        var workload = new Option<string>("--workload", "-w")
        {
            Description = "pingpong: C connections echo one message at a time (round trips/s, latency); "
                + "stream: send and receive concurrently (MB/s); churn: connect, echo, close (connections/s); "
                + "idle: hold C connections, then check a sample still echoes.",
            DefaultValueFactory = _ => "pingpong",
        };
        workload.AcceptOnlyFromAmong(WorkloadNames);
        var connections = PositiveInt("--connections", "-c", 50, 1_000_000, "Concurrent connections (workers).");
        var size = PositiveInt("--size", "-s", 64, 16 * 1024 * 1024, "Message size in bytes (stream: bytes per send).");
        var pipeline = PositiveInt("--pipeline", "-p", 1, 1024, "pingpong: messages in flight per connection.");
        var duration = DurationParser.Option("--duration", "-d", "10s", "Measured time (idle: how long connections are held).", allowZero: false);
        var warmup = DurationParser.Option("--warmup", null, "1s", "Unmeasured run-in before the measurement starts.", allowZero: true);
        var timeout = DurationParser.Option("--timeout", null, "5s", "A connect or echo making no progress for this long counts as a timeout.", allowZero: false);
        var seed = new Option<int>("--seed")
        {
            Description = "Seed for the random payloads (the same seed sends the same bytes).",
            DefaultValueFactory = _ => 1,
        };
        var text = new Option<bool>("--text")
        {
            Description = "Printable ASCII payloads, each message ending in a newline (like echoload --text), still verified "
                + "byte for byte: for servers that are not binary-safe (e.g. that echo with strlen). Default: random bytes, NULs included.",
        };
        var json = new Option<FileInfo?>("--json")
        {
            Description = "Also write the result as JSON to this file ('-': JSON only, on stdout).",
            HelpName = "FILE",
        };

        var command = new Command(
            "bench",
            "Load-test an echo server (any echo server) and verify every echoed byte. "
            + "Exits 1 if any echo did not match what was sent.")
        {
            host, port, workload, connections, size, pipeline, duration, warmup, timeout, seed, text, json,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var target = await EndpointResolver.ResolveAsync(parse.GetValue(host)!, parse.GetValue(port), cancellationToken)
                .ConfigureAwait(false);
            var settings = new BenchSettings(
                target,
                Enum.Parse<BenchWorkload>(parse.GetValue(workload)!, ignoreCase: true),
                parse.GetValue(connections),
                parse.GetValue(size),
                parse.GetValue(duration),
                parse.GetValue(warmup),
                parse.GetValue(pipeline),
                parse.GetValue(seed),
                parse.GetValue(timeout),
                parse.GetValue(text));
            if (settings.PayloadMemory > BenchSettings.MaxPayloadMemory)
            {
                throw new CliException(
                    $"{settings.Connections} connections of {settings.Size}-byte messages need {settings.PayloadMemory / (1 << 20)} MiB of payload; "
                    + $"keep it under {BenchSettings.MaxPayloadMemory / (1 << 20)} MiB (fewer connections, a smaller --size or --pipeline)");
            }

            return await BenchSession.RunAsync(settings, parse.GetValue(json), cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static Option<int> PositiveInt(string name, string? alias, int defaultValue, int maximum, string description)
    {
        var option = alias is null ? new Option<int>(name) : new Option<int>(name, alias);
        option.Description = description;
        option.HelpName = "N";
        option.DefaultValueFactory = _ => defaultValue;
        option.Validators.Add(result =>
        {
            int value = result.GetValueOrDefault<int>();
            if (value < 1 || value > maximum)
            {
                result.AddError($"{name} must be between 1 and {maximum}, not {value}");
            }
        });
        return option;
    }
}
