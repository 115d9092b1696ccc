using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Reverb.Compare;

namespace Reverb.Commands;

/// <summary>`reverb compare`: every model (and any peer echo server) through the same workloads; a report with charts.</summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var models = new Option<string>("--models")
        {
            Description = "Comma-separated reverb models to run: process, workers, threads, async.",
            DefaultValueFactory = _ => "process,workers,threads,async",
        };
        var peers = new Option<string[]>("--peer")
        {
            Description = "An external echo server to run alongside, NAME='COMMAND {port}' (run with /bin/sh -c; {port} becomes a free port). May repeat.",
            HelpName = "NAME='COMMAND {port}'",
            AllowMultipleArgumentsPerToken = false,
            Arity = ArgumentArity.ZeroOrMore,
        };
        var text = new Option<string?>("--text")
        {
            Description = "Send printable, newline-terminated payloads (reverb bench --text) instead of random bytes with NULs: "
                + "alone, to every server; with names, to those only, e.g. --text classic-fork for a server that echoes with strlen. "
                + "The report says which servers ran with text payloads.",
            HelpName = "NAME,NAME,...",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var duration = DurationParser.Option("--duration", null, "2s", "Measured time per step (idle: how long connections are held).", allowZero: false);
        var warmup = DurationParser.Option("--warmup", null, "1s", "Unmeasured run-in before each pingpong and churn step.", allowZero: true);
        var budget = new Option<TimeSpan?>("--budget")
        {
            Description = "Total time the run may take; steps that would overrun it are skipped [default: the estimate + 25% + 30s].",
            HelpName = "duration",
            CustomParser = r => DurationParser.ParsePositive(r),
        };
        WorkloadPlan plan = WorkloadPlan.Default;
        var connections = CountList("--connections", plan.PingpongConnections, "pingpong: connection counts.");
        var sizes = CountList("--sizes", plan.PingpongSizes, "pingpong: message sizes in bytes.");
        var idle = CountList("--idle", plan.IdleConnections, "idle: increasing connection counts; a server stops at its first failure.");
        var churn = new Option<int>("--churn")
        {
            Description = "churn: concurrent connect-echo-close loops.",
            HelpName = "N",
            DefaultValueFactory = _ => plan.ChurnConnections,
        };
        churn.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1)
            {
                r.AddError("--churn must be at least 1");
            }
        });
        var output = new Option<DirectoryInfo>("--out", "-o")
        {
            Description = "Directory for report.md, results.json and the charts.",
            HelpName = "DIR",
            DefaultValueFactory = _ => new DirectoryInfo("compare"),
        };

        var from = new Option<FileInfo?>("--from")
        {
            Description = "Measure nothing: write the report and charts again from an earlier results.json (into --out).",
            HelpName = "FILE",
        };

        var command = new Command(
            "compare",
            "Run every model (and --peer servers) through the same bench workloads, one server at a time on loopback, "
            + "measuring the server's process tree too; writes a markdown report, PNG charts and results.json.")
        {
            models, peers, text, duration, warmup, budget, connections, sizes, churn, idle, output, from,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            if (parse.GetValue(from) is { } earlier)
            {
                return CompareSession.Render(earlier, parse.GetValue(output)!);
            }

            List<ServerDefinition> servers = [.. Split(parse.GetValue(models)!).Select(ServerDefinition.ForModel)];
            servers.AddRange((parse.GetValue(peers) ?? []).Select(ServerDefinition.ForPeer));
            if (servers.Count == 0)
            {
                throw new CliException("nothing to compare: give --models or --peer", ExitCodes.Usage);
            }

            if (servers.GroupBy(s => s.Name).FirstOrDefault(g => g.Count() > 1) is { } twice)
            {
                throw new CliException($"'{twice.Key}' is named twice", ExitCodes.Usage);
            }

            var settings = new CompareSettings(
                WithTextPayloads(servers, parse.GetResult(text)),
                new WorkloadPlan(parse.GetValue(connections)!, parse.GetValue(sizes)!, parse.GetValue(churn), parse.GetValue(idle)!),
                parse.GetValue(duration),
                parse.GetValue(warmup),
                parse.GetValue(output)!,
                parse.GetValue(budget),
                CommandLineText());
            return await CompareSession.RunAsync(settings, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Marks the servers <c>--text</c> names (all of them when it names none) to get text payloads.</summary>
    private static List<ServerDefinition> WithTextPayloads(List<ServerDefinition> servers, OptionResult? text)
    {
        if (text is null)
        {
            return servers;
        }

        string[] names = text.Tokens.Count == 0 ? [] : Split(text.Tokens[^1].Value);
        if (names.FirstOrDefault(n => servers.All(s => s.Name != n)) is { } unknown)
        {
            throw new CliException(
                $"--text: no server is named '{unknown}' (servers: {string.Join(", ", servers.Select(s => s.Name))})", ExitCodes.Usage);
        }

        return [.. servers.Select(s => names.Length == 0 || names.Contains(s.Name) ? s with { Text = true } : s)];
    }

    private static string[] Split(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static Option<int[]> CountList(string name, IReadOnlyList<int> defaults, string description)
    {
        var option = new Option<int[]>(name)
        {
            Description = $"{description} Comma-separated, e.g. {string.Join(',', defaults)}.",
            HelpName = "N,N,...",
            DefaultValueFactory = _ => [.. defaults],
            CustomParser = result => ParseCounts(result, name),
        };
        return option;
    }

    private static int[] ParseCounts(ArgumentResult result, string name)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
        var counts = new List<int>();
        foreach (string part in Split(text))
        {
            if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count < 1 || count > 1_000_000)
            {
                result.AddError($"{name}: '{part}' is not a count from 1 to 1000000");
                return [];
            }

            counts.Add(count);
        }

        if (counts.Count == 0)
        {
            result.AddError($"{name} needs at least one count");
        }

        return [.. counts.Distinct().Order()];
    }

    /// <summary>The command as typed, for the top of the report (quoted where the shell would need it).</summary>
    private static string CommandLineText() =>
        string.Join(' ', Environment.GetCommandLineArgs().Skip(1).Prepend("reverb").Select(Quote));

    private static string Quote(string argument) =>
        argument.Length > 0 && argument.All(c => char.IsAsciiLetterOrDigit(c) || "-_./,:=@%+".Contains(c, StringComparison.Ordinal))
            ? argument
            : $"'{argument.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}
