using System.Text.Json;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Bench;

/// <summary>Every workload against a real Reverb server; verification against a deliberately corrupting one.</summary>
public sealed class BenchCommandTests : IClassFixture<AsyncReverbServer>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    private readonly ReverbServer _server;

    public BenchCommandTests(AsyncReverbServer fixture)
    {
        _server = fixture.Server;
    }

    [Fact]
    public async Task Pingpong_reports_round_trips_and_latency_without_failures()
    {
        using var json = await RunBenchAsync("--workload", "pingpong", "--connections", "8", "--size", "64");

        var root = json.RootElement;
        Assert.Equal("pingpong", root.GetProperty("workload").GetString());
        Assert.Equal(8, root.GetProperty("connections").GetInt32());
        Assert.True(root.GetProperty("roundTripsPerSecond").GetDouble() > 0);
        Assert.True(root.GetProperty("megabytesPerSecond").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("connectionsPerSecond").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("established").ValueKind);
        var latency = root.GetProperty("latencyUs");
        Assert.True(latency.GetProperty("p50").GetInt64() > 0);
        Assert.True(latency.GetProperty("max").GetInt64() >= latency.GetProperty("p999").GetInt64());
        AssertNoFailures(root);

        // Nothing is allocated per message: what the process allocated in the window is a fixed few kilobytes
        // (timers, the progress line), whatever the rate; even 24 bytes a message would exceed this at any real rate.
        long roundTrips = root.GetProperty("roundTrips").GetInt64();
        long allocated = root.GetProperty("generatorAllocatedBytes").GetInt64();
        Assert.True(allocated < 32 * 1024, $"{allocated} bytes allocated for {roundTrips} round trips");
    }

    [Fact]
    public async Task Pingpong_with_a_pipeline_and_large_messages_verifies_cleanly()
    {
        using var json = await RunBenchAsync("--connections", "4", "--size", "100000", "--pipeline", "4");

        Assert.True(json.RootElement.GetProperty("roundTripsPerSecond").GetDouble() > 0);
        AssertNoFailures(json.RootElement);
    }

    [Fact]
    public async Task Stream_reports_throughput_only()
    {
        using var json = await RunBenchAsync("--workload", "stream", "--connections", "4", "--size", "16384");

        var root = json.RootElement;
        Assert.True(root.GetProperty("megabytesPerSecond").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("roundTripsPerSecond").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("latencyUs").ValueKind);
        AssertNoFailures(root);
    }

    [Fact]
    public async Task Churn_reports_connections_per_second()
    {
        using var json = await RunBenchAsync("--workload", "churn", "--connections", "4");

        var root = json.RootElement;
        Assert.True(root.GetProperty("connectionsPerSecond").GetDouble() > 0);
        Assert.True(root.GetProperty("latencyUs").GetProperty("p99").GetInt64() > 0);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("megabytesPerSecond").ValueKind);
        AssertNoFailures(root);
    }

    [Fact]
    public async Task Idle_holds_every_connection_and_a_sample_echoes()
    {
        using var json = await RunBenchAsync("--workload", "idle", "--connections", "300");

        var root = json.RootElement;
        Assert.Equal(300, root.GetProperty("established").GetInt32());
        Assert.Equal(100, root.GetProperty("sampled").GetInt32());
        Assert.Equal(100, root.GetProperty("echoed").GetInt32());
        AssertNoFailures(root);
    }

    [Theory]
    [InlineData("pingpong")]
    [InlineData("churn")]
    [InlineData("idle")]
    public async Task Text_payloads_echo_cleanly_from_a_real_server(string workload)
    {
        using var json = await RunBenchAsync("--workload", workload, "--connections", "8", "--text");

        var root = json.RootElement;
        Assert.Equal("text", root.GetProperty("payload").GetString());
        Assert.True(root.GetProperty("roundTrips").GetInt64() > 0 || root.GetProperty("echoed").GetInt64() == 8, $"{workload}: nothing echoed");
        AssertNoFailures(root);
    }

    [Theory]
    [InlineData("256", false)]
    [InlineData("64", true)] // text payloads are verified byte for byte too
    public async Task A_corrupting_server_is_caught_as_mismatches(string size, bool text)
    {
        await using var server = TestEchoServer.Start(TestEchoServer.EchoBehaviour.CorruptEveryChunk);
        string jsonPath = Path.GetTempFileName();
        try
        {
            string[] args =
            [
                "bench", server.Host, server.Port.ToString(), "--connections", "2", "--size", size,
                "--duration", "500ms", "--warmup", "0", "--json", jsonPath, .. text ? ["--text"] : Array.Empty<string>(),
            ];
            var outcome = await ReverbProcess.RunAsync(null, Limit, args);

            Assert.Equal(1, outcome.ExitCode);
            Assert.Contains("did not match what was sent", outcome.Stderr, StringComparison.Ordinal);
            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(jsonPath));
            Assert.True(json.RootElement.GetProperty("mismatches").GetInt64() > 0);
        }
        finally
        {
            File.Delete(jsonPath);
        }
    }

    [SkippableFact]
    public async Task The_classic_strlen_server_stalls_on_binary_payloads_and_echoes_text_ones()
    {
        using var classic = await ClassicForkServer.BuildAsync();
        int port = await classic.StartAsync();

        using var binary = await RunBenchAgainstAsync(port, expectClean: false, "--connections", "2", "--timeout", "500ms");
        Assert.True(binary.RootElement.GetProperty("timeouts").GetInt64() > 0, "binary payloads came back from a server that stops at NUL");

        using var text = await RunBenchAgainstAsync(port, expectClean: true, "--connections", "4", "--text");
        Assert.True(text.RootElement.GetProperty("roundTrips").GetInt64() > 0);
        AssertNoFailures(text.RootElement);
    }

    [Fact]
    public async Task No_server_is_one_clear_line()
    {
        int port = ReverbProcess.UnusedPort();

        var outcome = await ReverbProcess.RunAsync(null, Limit, "bench", "127.0.0.1", port.ToString(), "--duration", "1s");

        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal($"reverb: cannot connect to 127.0.0.1:{port}: connection refused", outcome.Stderr.TrimEnd());
    }

    [Fact]
    public async Task Payloads_too_large_for_memory_are_refused_before_connecting()
    {
        var outcome = await ReverbProcess.RunAsync(null, Limit, "bench", "127.0.0.1", "7", "--connections", "1000", "--size", "16000000");

        Assert.Equal(1, outcome.ExitCode);
        Assert.Contains("MiB of payload", outcome.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--workload", "nonsense")]
    [InlineData("--duration", "soon")]
    [InlineData("--duration", "0")]
    [InlineData("--connections", "0")]
    [InlineData("--size", "-5")]
    public async Task Bad_options_are_usage_errors(string option, string value)
    {
        var outcome = await ReverbProcess.RunAsync(null, Limit, "bench", "127.0.0.1", "7", option, value);

        Assert.Equal(2, outcome.ExitCode);
        Assert.StartsWith("reverb: ", outcome.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", outcome.Stderr, StringComparison.Ordinal);
    }

    private Task<JsonDocument> RunBenchAsync(params string[] options) => RunBenchAgainstAsync(_server.Port, expectClean: true, options);

    private static async Task<JsonDocument> RunBenchAgainstAsync(int port, bool expectClean, params string[] options)
    {
        string jsonPath = Path.GetTempFileName();
        try
        {
            string[] args = ["bench", "127.0.0.1", port.ToString(), "--duration", "1s", "--warmup", "200ms", "--json", jsonPath, .. options];
            var outcome = await ReverbProcess.RunAsync(null, Limit, args);
            Assert.True(!expectClean || outcome.ExitCode == 0, $"exit {outcome.ExitCode}: {outcome.Stderr}");
            Assert.Contains("mismatches", outcome.StdoutText, StringComparison.Ordinal); // the summary table
            return JsonDocument.Parse(await File.ReadAllTextAsync(jsonPath));
        }
        finally
        {
            File.Delete(jsonPath);
        }
    }

    private static void AssertNoFailures(JsonElement root)
    {
        Assert.Equal(0, root.GetProperty("mismatches").GetInt64());
        Assert.Equal(0, root.GetProperty("errors").GetInt64());
        Assert.Equal(0, root.GetProperty("timeouts").GetInt64());
    }
}
