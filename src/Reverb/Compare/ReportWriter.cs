using System.Globalization;
using System.Text;

namespace Reverb.Compare;

/// <summary>
/// report.md: when, where and how the run was made, then a table per workload (server × figure, best clean value
/// in bold), the charts, and every step that did not run cleanly with the reason.
/// </summary>
internal static class ReportWriter
{
    public const string FileName = "report.md";

    private const double Mebibyte = 1024 * 1024;

    public static string Build(CompareResults results, IReadOnlyList<ChartFile> charts)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(charts);
        var report = new StringBuilder();
        Header(report, results);
        foreach (int size in results.Plan.PingpongSizes)
        {
            Pingpong(report, results, size);
        }

        Churn(report, results);
        Idle(report, results);
        report.Append("\n## Charts\n\nDashed lines: peers. A ring around a point: that step had errors, timeouts or wrong echoes, or (idle) did not hold every connection.\n\n");
        foreach (ChartFile chart in charts)
        {
            report.Append(CultureInfo.InvariantCulture, $"![{chart.Caption}]({chart.FileName})\n\n");
        }

        Notes(report, results);
        return report.ToString();
    }

    private static void Header(StringBuilder report, CompareResults results)
    {
        report.Append("# reverb compare\n\n");
        report.Append(CultureInfo.InvariantCulture, $"- date: {results.StartedAt.ToUniversalTime():yyyy-MM-dd HH:mm} UTC\n");
        report.Append(CultureInfo.InvariantCulture, $"- command: `{results.Command}`\n");
        report.Append(CultureInfo.InvariantCulture, $"- machine: {results.Machine}; the load generator (`reverb bench`, a separate process) shares the cores with the server\n");
        report.Append(CultureInfo.InvariantCulture, $"- each step: {results.WarmupSeconds:0.###} s warm-up (pingpong, churn), {results.DurationSeconds:0.###} s measured; idle holds its connections for the measured time; a connect or echo stalled for {BenchInvocation.StallTimeout} counts as a timeout\n");
        report.Append(CultureInfo.InvariantCulture, $"- time: estimated {results.EstimatedSeconds:N0} s, budget {results.BudgetSeconds:N0} s, took {results.ElapsedSeconds:N0} s");
        report.Append(results.SkippedForBudget > 0
            ? string.Create(CultureInfo.InvariantCulture, $"; **{results.SkippedForBudget} steps were skipped to stay inside the budget**\n")
            : "; no step was skipped for time\n");
        report.Append("\n| server | started as | payloads |\n|---|---|---|\n");
        foreach (ServerResult server in results.Servers)
        {
            string payloads = server.TextPayloads ? "text (printable ASCII, each message ends in a newline)" : "binary (random bytes, NULs included)";
            report.Append(CultureInfo.InvariantCulture, $"| {server.Name} | `{server.Command}` | {payloads} |\n");
        }

        if (results.Servers.Any(s => s.TextPayloads))
        {
            report.Append(CultureInfo.InvariantCulture, $"\nText payloads (`--text`) for {string.Join(", ", results.Servers.Where(s => s.TextPayloads).Select(s => s.Name))}: still verified byte for byte, but they never test binary safety.\n");
        }

        report.Append(
            "\nServer-side figures cover the server's whole process tree (master and every worker or forked child), "
            + "sampled twice a second: memory is the peak of the summed PSS (shared pages divided among the processes "
            + "sharing them) and of the summed RSS (shared pages counted once per process); CPU is user + system time over the step. "
            + "**Bold**: best clean value in its column. ⚠: the step had errors, timeouts or wrong echoes (see the notes). "
            + "–: not run. ✗: failed.\n");
    }

    private static void Pingpong(StringBuilder report, CompareResults results, int size)
    {
        IReadOnlyList<int> counts = results.Plan.PingpongConnections;
        string[] columns = [.. counts.Select(c => c.ToString("N0", CultureInfo.InvariantCulture))];
        report.Append(CultureInfo.InvariantCulture, $"\n## pingpong, {ChartWriter.SizeText(size)} messages\n\n");
        report.Append("Each connection sends a message and waits for its echo before sending the next. Columns: concurrent connections.\n");
        Section(report, "round trips / s", results, columns, counts, WorkloadStep.Pingpong, size, s => s.Bench?.RoundTripsPerSecond, Better.Higher);
        Section(report, "p99 latency (µs)", results, columns, counts, WorkloadStep.Pingpong, size, s => s.Bench?.LatencyUs?.P99, Better.Lower);
        Section(report, "server CPU (s)", results, columns, counts, WorkloadStep.Pingpong, size, s => s.Server?.CpuSeconds, Better.Lower, "N1");
        Section(report, "server memory (MiB PSS, peak)", results, columns, counts, WorkloadStep.Pingpong, size, Pss, Better.Lower, "N1");
    }

    private static void Churn(StringBuilder report, CompareResults results)
    {
        int loops = results.Plan.ChurnConnections;
        report.Append(CultureInfo.InvariantCulture, $"\n## churn: {loops} concurrent loops of connect, echo {WorkloadPlan.ChurnSize} B, close\n\n");
        string[] columns = ["connections / s", "p50 (µs)", "p99 (µs)", "server CPU (s)", "peak processes", "peak threads", "MiB PSS, peak"];
        var table = new FigureTable("server", columns);
        foreach (ServerResult server in results.Servers)
        {
            StepResult? step = server.Find(WorkloadStep.Churn, loops, WorkloadPlan.ChurnSize);
            table.AddRow(server.Name,
            [
                FigureCell.From(step, s => s.Bench?.ConnectionsPerSecond, Better.Higher),
                FigureCell.From(step, s => s.Bench?.LatencyUs?.P50, Better.Lower),
                FigureCell.From(step, s => s.Bench?.LatencyUs?.P99, Better.Lower),
                FigureCell.From(step, s => s.Server?.CpuSeconds, Better.Lower, "N1"),
                FigureCell.From(step, s => s.Server?.PeakProcesses, Better.Lower),
                FigureCell.From(step, s => s.Server?.PeakThreads, Better.Lower),
                FigureCell.From(step, Pss, Better.Lower, "N1"),
            ]);
        }

        report.Append(table.ToMarkdown());
    }

    private static void Idle(StringBuilder report, CompareResults results)
    {
        IReadOnlyList<int> counts = results.Plan.IdleConnections;
        string[] columns = [.. counts.Select(c => c.ToString("N0", CultureInfo.InvariantCulture))];
        report.Append("\n## idle: connections held open and silent, then a sample must still echo\n\n");
        report.Append("Columns: idle connections. A server stops at its first failed count.\n");
        Section(report, "server memory (MiB PSS, peak)", results, columns, counts, WorkloadStep.Idle, WorkloadPlan.IdleSize, Pss, Better.Lower, "N1");
        Section(report, "server memory (MiB RSS summed over processes, peak)", results, columns, counts, WorkloadStep.Idle, WorkloadPlan.IdleSize, s => s.Server?.PeakRssBytes / Mebibyte, Better.Lower, "N1");
        Section(report, "server processes", results, columns, counts, WorkloadStep.Idle, WorkloadPlan.IdleSize, s => s.Server?.PeakProcesses, Better.Lower);
        Section(report, "server threads", results, columns, counts, WorkloadStep.Idle, WorkloadPlan.IdleSize, s => s.Server?.PeakThreads, Better.Lower);
        report.Append("\n| server | how far it got |\n|---|---|\n");
        foreach (ServerResult server in results.Servers)
        {
            int held = server.Steps.Where(s => s.Workload == WorkloadStep.Idle && s.Status == StepStatus.Ok).Select(s => s.Connections).DefaultIfEmpty(0).Max();
            string failure = server.Failure ?? (server.Steps.FirstOrDefault(s => s.Workload == WorkloadStep.Idle && s.Status == StepStatus.Skipped) is { } skipped
                ? $"stopped: {skipped.Note}"
                : "held every count");
            report.Append(CultureInfo.InvariantCulture, $"| {server.Name} | held {held:N0}; {failure} |\n");
        }
    }

    private static void Section(
        StringBuilder report,
        string title,
        CompareResults results,
        string[] columns,
        IReadOnlyList<int> counts,
        string workload,
        int size,
        Func<StepResult, double?> figure,
        Better better,
        string format = "N0")
    {
        var table = new FigureTable(title, columns);
        foreach (ServerResult server in results.Servers)
        {
            table.AddRow(server.Name, counts.Select(c => FigureCell.From(server.Find(workload, c, size), figure, better, format)));
        }

        report.Append('\n').Append(table.ToMarkdown());
    }

    private static void Notes(StringBuilder report, CompareResults results)
    {
        report.Append("## Notes: steps that did not run cleanly\n\n");
        bool any = false;
        foreach (ServerResult server in results.Servers)
        {
            foreach (StepResult step in server.Steps.Where(s => s.Status != StepStatus.Ok))
            {
                any = true;
                var name = new WorkloadStep(step.Workload, step.Connections, step.Size);
                report.Append(CultureInfo.InvariantCulture, $"- {server.Name}, {name}: {step.Status.ToString().ToLowerInvariant()}: {step.Note}\n");
            }
        }

        if (!any)
        {
            report.Append("None: every step ran, and every echo was right.\n");
        }
    }

    private static double? Pss(StepResult step) => step.Server?.PeakPssBytes / Mebibyte;
}
