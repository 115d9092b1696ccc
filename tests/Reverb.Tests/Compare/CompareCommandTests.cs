using System.Text.Json;
using System.Text.RegularExpressions;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Compare;

/// <summary>`reverb compare` end to end: real servers, real bench child processes, a report, charts and JSON.</summary>
public sealed partial class CompareCommandTests : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);
    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    // A small plan: two pingpong counts, one size, churn, one idle count.
    private static readonly string[] QuickPlan =
        ["--duration", "300ms", "--warmup", "100ms", "--connections", "1,10", "--sizes", "64", "--churn", "4", "--idle", "100"];

    private readonly DirectoryInfo _output = Directory.CreateTempSubdirectory("reverb-compare-test-");

    public void Dispose() => _output.Delete(recursive: true);

    [Fact]
    public async Task Two_models_produce_a_report_valid_png_charts_and_positive_figures()
    {
        CommandResult run = await ReverbCommand.RunAsync(Limit, [.. QuickPlan.Prepend("async,threads").Prepend("--models").Prepend("compare"), "--out", _output.FullName]);

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Stderr}\n{run.Stdout}");
        Assert.Contains("budget", run.Stdout, StringComparison.Ordinal);

        string report = File.ReadAllText(Path.Combine(_output.FullName, "report.md"));
        Assert.Contains("command: `reverb compare --models async,threads", report, StringComparison.Ordinal);
        Assert.Contains("## pingpong, 64 B messages", report, StringComparison.Ordinal);
        Assert.Contains("## churn", report, StringComparison.Ordinal);
        Assert.Contains("## idle", report, StringComparison.Ordinal);
        Assert.Contains("**", report, StringComparison.Ordinal); // a best value is marked

        string[] charts = [.. ChartLink().Matches(report).Select(m => m.Groups[1].Value)];
        Assert.Equal(4, charts.Length); // throughput, p99, churn, idle memory
        foreach (string chart in charts)
        {
            byte[] png = File.ReadAllBytes(Path.Combine(_output.FullName, chart));
            Assert.True(png.AsSpan().StartsWith(PngSignature), $"{chart} is not a PNG");
            Assert.True(png.Length > 5_000, $"{chart} is only {png.Length} bytes");
        }

        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_output.FullName, "results.json")));
        JsonElement[] servers = [.. json.RootElement.GetProperty("servers").EnumerateArray()];
        Assert.Equal(["async", "threads"], servers.Select(s => s.GetProperty("name").GetString()));
        foreach (JsonElement server in servers)
        {
            AssertPositiveFigures(server);
        }

        // The same figures can be laid out again without measuring.
        string again = Path.Combine(_output.FullName, "again");
        CommandResult render = await ReverbCommand.RunAsync(Limit, "compare", "--from", Path.Combine(_output.FullName, "results.json"), "--out", again);
        Assert.True(render.ExitCode == 0, render.Stderr);
        Assert.Equal(report, File.ReadAllText(Path.Combine(again, "report.md")));
    }

    [Fact]
    public async Task A_peer_is_measured_like_a_model_and_a_peer_that_cannot_start_is_reported()
    {
        string peer = $"echo-peer={ServeCommandFor("threads")}";
        CommandResult run = await ReverbCommand.RunAsync(
            Limit,
            "compare", "--models", "async", "--peer", peer, "--peer", "broken=exit 3 {port}",
            "--duration", "300ms", "--warmup", "300ms", "--connections", "2", "--sizes", "64", "--churn", "2", "--idle", "10",
            "--out", _output.FullName);

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Stderr}\n{run.Stdout}");
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_output.FullName, "results.json")));
        JsonElement[] servers = [.. json.RootElement.GetProperty("servers").EnumerateArray()];
        Assert.Equal(["async", "echo-peer", "broken"], servers.Select(s => s.GetProperty("name").GetString()));
        Assert.True(servers[1].GetProperty("isPeer").GetBoolean());
        AssertPositiveFigures(servers[1]);
        Assert.StartsWith("did not start", servers[2].GetProperty("failure").GetString(), StringComparison.Ordinal);
        Assert.All(servers[2].GetProperty("steps").EnumerateArray(), s => Assert.Equal("Skipped", s.GetProperty("status").GetString()));
        Assert.Contains("broken", File.ReadAllText(Path.Combine(_output.FullName, "report.md")), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_classic_strlen_server_with_text_payloads_has_no_flagged_cells()
    {
        using var classic = await ClassicForkServer.BuildAsync();
        CommandResult run = await ReverbCommand.RunAsync(
            Limit,
            "compare", "--models", "async", "--peer", $"classic-fork='{classic.Executable}' {{port}}", "--text", "classic-fork",
            "--duration", "300ms", "--warmup", "100ms", "--connections", "1,4", "--sizes", "64", "--churn", "2", "--idle", "4",
            "--out", _output.FullName);

        Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {run.Stderr}\n{run.Stdout}");
        using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(_output.FullName, "results.json")));
        JsonElement[] servers = [.. json.RootElement.GetProperty("servers").EnumerateArray()];
        Assert.Equal([false, true], servers.Select(s => s.GetProperty("textPayloads").GetBoolean()));
        AssertPositiveFigures(servers[1]); // every classic step Ok: no timeouts, no wrong echoes

        string report = File.ReadAllText(Path.Combine(_output.FullName, "report.md"));
        Assert.DoesNotContain(report.Split('\n'), line => line.StartsWith('|') && line.Contains('⚠', StringComparison.Ordinal));
        Assert.Contains("None: every step ran, and every echo was right.", report, StringComparison.Ordinal);
        Assert.Contains("| classic-fork |", report, StringComparison.Ordinal);
        Assert.Contains("Text payloads (`--text`) for classic-fork:", report, StringComparison.Ordinal);
        Assert.Matches(@"\| async \| `[^`]+` \| binary", report);
        Assert.Matches(@"\| classic-fork \| `[^`]+` \| text", report);
    }

    [Theory]
    [InlineData("--peer", "no-equals-sign")]
    [InlineData("--peer", "x=socat without a port placeholder")]
    [InlineData("--models", "process,forks")]
    [InlineData("--connections", "1,zero")]
    [InlineData("--text", "no-such-server")]
    public async Task Bad_arguments_fail_with_one_line_and_usage_exit_code(string option, string value)
    {
        CommandResult run = await ReverbCommand.RunAsync(Limit, "compare", option, value, "--out", _output.FullName);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("reverb: ", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
    }

    private static void AssertPositiveFigures(JsonElement server)
    {
        string name = server.GetProperty("name").GetString()!;
        double cpu = 0;
        foreach (JsonElement step in server.GetProperty("steps").EnumerateArray())
        {
            string what = $"{name} {step.GetProperty("workload").GetString()} {step.GetProperty("connections").GetInt32()}";
            Assert.True(step.GetProperty("status").GetString() == "Ok", $"{what}: {step.GetProperty("note")}");
            JsonElement bench = step.GetProperty("bench");
            switch (step.GetProperty("workload").GetString())
            {
                case "pingpong":
                    Assert.True(bench.GetProperty("roundTripsPerSecond").GetDouble() > 0, what);
                    Assert.True(bench.GetProperty("latencyUs").GetProperty("p99").GetInt64() > 0, what);
                    break;
                case "churn":
                    Assert.True(bench.GetProperty("connectionsPerSecond").GetDouble() > 0, what);
                    break;
                default:
                    Assert.Equal(step.GetProperty("connections").GetInt64(), bench.GetProperty("established").GetInt64());
                    break;
            }

            JsonElement figures = step.GetProperty("server");
            Assert.True(figures.GetProperty("peakRssBytes").GetInt64() > 0, what);
            Assert.True(figures.GetProperty("peakPssBytes").GetInt64() > 0, what);
            Assert.True(figures.GetProperty("peakProcesses").GetInt32() >= 1, what);
            Assert.True(figures.GetProperty("peakThreads").GetInt32() >= 1, what);
            cpu += figures.GetProperty("cpuSeconds").GetDouble();
        }

        Assert.True(cpu > 0, $"{name} used no CPU at all");
    }

    /// <summary>The shell command that starts reverb itself as a peer, the way this test run starts reverb.</summary>
    private static string ServeCommandFor(string model)
    {
        string? native = Environment.GetEnvironmentVariable("REVERB_EXE");
        string executable = string.IsNullOrEmpty(native)
            ? $"dotnet '{Path.Combine(AppContext.BaseDirectory, "reverb.dll")}'"
            : $"'{native}'";
        return $"{executable} serve {{port}} --host 127.0.0.1 --model {model} --quiet";
    }

    [GeneratedRegex(@"!\[[^\]]*\]\(([^)]+\.png)\)")]
    private static partial Regex ChartLink();
}
