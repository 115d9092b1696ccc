using System.Text.Json;

namespace Reverb.Bench;

/// <summary>
/// Writes a <see cref="BenchResult"/> as JSON for machines. Utf8JsonWriter rather than reflection-based
/// serialization keeps it NativeAOT-safe and makes every null explicit.
/// </summary>
internal static class BenchJsonWriter
{
    public static void Write(BenchResult result, Stream destination)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var json = new Utf8JsonWriter(destination, new JsonWriterOptions { Indented = true });
        BenchSettings settings = result.Settings;
        json.WriteStartObject();
        json.WriteString("workload", settings.Workload.ToString().ToLowerInvariant());
        json.WriteString("host", settings.Target.Address.ToString());
        json.WriteNumber("port", settings.Target.Port);
        json.WriteNumber("connections", settings.Connections);
        json.WriteNumber("size", settings.Size);
        json.WriteNumber("pipeline", settings.Pipeline);
        json.WriteNumber("seed", settings.Seed);
        json.WriteString("payload", settings.PayloadDescription);
        json.WriteNumber("warmupSeconds", settings.Warmup.TotalSeconds);
        json.WriteNumber("durationSeconds", Math.Round(result.MeasuredSeconds, 3));
        WriteNumberOrNull(json, "roundTripsPerSecond", result.RoundTripsPerSecond);
        WriteNumberOrNull(json, "megabytesPerSecond", result.MegabytesPerSecond);
        WriteNumberOrNull(json, "connectionsPerSecond", result.ConnectionsPerSecond);
        WriteLatency(json, result.Latency);
        BenchTotals totals = result.Totals;
        json.WriteNumber("roundTrips", totals.RoundTrips);
        json.WriteNumber("bytes", totals.Bytes);
        json.WriteNumber("errors", totals.Errors);
        json.WriteNumber("refused", totals.Refused);
        json.WriteNumber("resets", totals.Resets);
        json.WriteNumber("timeouts", totals.Timeouts);
        json.WriteNumber("mismatches", totals.Mismatches);
        WriteNumberOrNull(json, "established", result.Idle?.Established);
        WriteNumberOrNull(json, "sampled", result.Idle?.Sampled);
        WriteNumberOrNull(json, "echoed", result.Idle?.Echoed);
        WriteNumberOrNull(json, "generatorAllocatedBytes", result.AllocatedBytes);
        json.WriteEndObject();
    }

    private static void WriteLatency(Utf8JsonWriter json, LatencySummary? latency)
    {
        if (latency is null)
        {
            json.WriteNull("latencyUs");
            return;
        }

        json.WriteStartObject("latencyUs");
        json.WriteNumber("p50", latency.P50);
        json.WriteNumber("p90", latency.P90);
        json.WriteNumber("p99", latency.P99);
        json.WriteNumber("p999", latency.P999);
        json.WriteNumber("max", latency.Max);
        json.WriteNumber("count", latency.Count);
        json.WriteEndObject();
    }

    private static void WriteNumberOrNull(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } number)
        {
            json.WriteNumber(name, Math.Round(number, 3));
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
