using System.Globalization;
using Spectre.Console;

namespace Reverb.Bench;

/// <summary>The human summary at the end of a run: one Spectre table, failures always listed even when zero.</summary>
internal static class BenchReport
{
    private const string NotApplicable = "-";

    public static Table Build(BenchResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        BenchSettings settings = result.Settings;
        var table = new Table().Border(TableBorder.Rounded).AddColumn("figure").AddColumn(new TableColumn("value").RightAligned());
        table.Title = new TableTitle(Markup.Escape(
            $"reverb bench {settings.Workload.ToString().ToLowerInvariant()} {settings.Target}"));

        Add(table, "connections", Integer(settings.Connections));
        Add(table, "size (bytes)", Integer(settings.Size));
        Add(table, "payload", settings.Text ? "text (printable, ends in \\n)" : "binary (random, NULs included)");
        if (settings.Workload == BenchWorkload.Pingpong)
        {
            Add(table, "pipeline", Integer(settings.Pipeline));
        }

        Add(table, "measured (s)", result.MeasuredSeconds.ToString("F2", CultureInfo.InvariantCulture));
        Add(table, "round trips/s", Rate(result.RoundTripsPerSecond));
        Add(table, "MB/s (echoed, 10^6 B)", Rate(result.MegabytesPerSecond, "N2"));
        Add(table, "connections/s", Rate(result.ConnectionsPerSecond));
        AddLatency(table, result.Latency);
        if (result.Idle is { } idle)
        {
            Add(table, "established", $"{Integer(idle.Established)} of {Integer(settings.Connections)}");
            Add(table, "echoed (sample)", $"{Integer(idle.Echoed)} of {Integer(idle.Sampled)}");
        }

        BenchTotals totals = result.Totals;
        Add(table, "errors", Failures(totals.Errors, $" (refused {Integer(totals.Refused)}, reset {Integer(totals.Resets)})"));
        Add(table, "timeouts", Failures(totals.Timeouts));
        Add(table, "mismatches", Failures(totals.Mismatches));
        return table;
    }

    private static void AddLatency(Table table, LatencySummary? latency)
    {
        if (latency is null)
        {
            Add(table, "latency (µs)", NotApplicable);
            return;
        }

        Add(table, "latency p50 (µs)", Integer(latency.P50));
        Add(table, "latency p90 (µs)", Integer(latency.P90));
        Add(table, "latency p99 (µs)", Integer(latency.P99));
        Add(table, "latency p99.9 (µs)", Integer(latency.P999));
        Add(table, "latency max (µs)", Integer(latency.Max));
    }

    private static void Add(Table table, string name, string value) =>
        table.AddRow(new Text(name), new Markup(value));

    private static string Integer(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Rate(double? value, string format = "N0") =>
        value is { } number ? number.ToString(format, CultureInfo.InvariantCulture) : NotApplicable;

    private static string Failures(long count, string detail = "") =>
        count == 0 ? $"0{Markup.Escape(detail)}" : $"[red]{Integer(count)}[/]{Markup.Escape(detail)}";
}
