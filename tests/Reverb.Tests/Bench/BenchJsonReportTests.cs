using System.Text.Json;
using Reverb.Bench;

namespace Reverb.Tests.Bench;

/// <summary>The bench writes and compare reads one schema: what one writes, the other reads back unchanged.</summary>
public sealed class BenchJsonReportTests
{
    [Fact]
    public void A_report_reads_back_as_written_with_explicit_nulls()
    {
        var report = new BenchJsonReport
        {
            Workload = "pingpong",
            Host = "127.0.0.1",
            Port = 7007,
            Connections = 50,
            Size = 64,
            Pipeline = 1,
            Seed = 42,
            Payload = "binary",
            WarmupSeconds = 1,
            DurationSeconds = 5.001,
            RoundTripsPerSecond = 123456.789,
            LatencyUs = new LatencySummary(10, 20, 30, 40, 50, 60),
            RoundTrips = 617283,
            Bytes = 39506112,
            Mismatches = 0,
        };

        string json = JsonSerializer.Serialize(report, BenchJsonContext.Default.BenchJsonReport);
        using JsonDocument document = JsonDocument.Parse(json);

        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("megabytesPerSecond").ValueKind);
        Assert.Equal(JsonValueKind.Null, document.RootElement.GetProperty("established").ValueKind);
        Assert.Equal(30, document.RootElement.GetProperty("latencyUs").GetProperty("p99").GetInt64());
        Assert.Equal(report, JsonSerializer.Deserialize(json, BenchJsonContext.Default.BenchJsonReport));
    }
}
