using System.Globalization;
using ScottPlot;

namespace Reverb.Compare;

/// <summary>
/// The PNG charts, made with ScottPlot: pingpong round trips/s and p99 latency against connections (one chart
/// per message size), churn connections/s, and server memory against idle connections. Connection counts and
/// latencies span decades, so those axes are logarithmic (plotted as log10 with labelled ticks).
/// </summary>
internal static class ChartWriter
{
    private const int Width = 900;
    private const int Height = 540;

    public static IReadOnlyList<ChartFile> WriteAll(CompareResults results, string directory)
    {
        ArgumentNullException.ThrowIfNull(results);
        var charts = new List<ChartFile>();
        foreach (int size in results.Plan.PingpongSizes)
        {
            string sizeText = SizeText(size);
            charts.Add(Lines(
                results,
                directory,
                new ChartFile($"pingpong {sizeText}: round trips per second", $"pingpong-{FileSize(size)}-throughput.png"),
                WorkloadStep.Pingpong,
                size,
                results.Plan.PingpongConnections,
                s => s.Bench?.RoundTripsPerSecond,
                "round trips / s",
                logY: false));
            charts.Add(Lines(
                results,
                directory,
                new ChartFile($"pingpong {sizeText}: p99 latency", $"pingpong-{FileSize(size)}-p99.png"),
                WorkloadStep.Pingpong,
                size,
                results.Plan.PingpongConnections,
                s => s.Bench?.LatencyUs?.P99,
                "p99 latency (µs, log scale)",
                logY: true));
        }

        charts.Add(ChurnBars(results, directory));
        charts.Add(Lines(
            results,
            directory,
            new ChartFile("server memory (PSS of the whole process tree) against idle connections", "idle-memory.png"),
            WorkloadStep.Idle,
            WorkloadPlan.IdleSize,
            results.Plan.IdleConnections,
            s => s.Server?.PeakPssBytes / 1048576.0,
            "server memory (MiB PSS, log scale)",
            logY: true));
        return charts;
    }

    private static ChartFile Lines(
        CompareResults results,
        string directory,
        ChartFile chart,
        string workload,
        int size,
        IReadOnlyList<int> connections,
        Func<StepResult, double?> figure,
        string yLabel,
        bool logY)
    {
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var allValues = new List<double>();
        for (int i = 0; i < results.Servers.Count; i++)
        {
            ServerResult server = results.Servers[i];
            var points = connections
                .Select(c => server.Find(workload, c, size) is { } step ? (Connections: c, Value: figure(step), Clean: step.Status == StepStatus.Ok) : default)
                .Where(p => p.Value is > 0)
                .Select(p => (X: Math.Log10(p.Connections), Y: logY ? Math.Log10(p.Value!.Value) : p.Value!.Value, p.Clean))
                .ToArray();
            if (points.Length == 0)
            {
                continue;
            }

            allValues.AddRange(points.Select(p => logY ? Math.Pow(10, p.Y) : p.Y));
            var line = plot.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray());
            line.LegendText = server.Name;
            line.Color = palette.GetColor(i);
            line.LineWidth = 2;
            line.MarkerSize = 8;
            line.LinePattern = server.IsPeer ? LinePattern.Dashed : LinePattern.Solid;

            // A ring marks a figure from a step with errors, timeouts or wrong echoes: shown, never passed off as clean.
            var flawed = points.Where(p => !p.Clean).ToArray();
            if (flawed.Length > 0)
            {
                var rings = plot.Add.ScatterPoints(flawed.Select(p => p.X).ToArray(), flawed.Select(p => p.Y).ToArray());
                rings.Color = palette.GetColor(i);
                rings.MarkerShape = MarkerShape.OpenCircle;
                rings.MarkerSize = 18;
            }
        }

        plot.Title(chart.Caption);
        plot.XLabel(workload == WorkloadStep.Idle ? "idle connections (log scale)" : "concurrent connections (log scale)");
        plot.YLabel(yLabel);
        plot.Axes.Bottom.SetTicks(
            [.. connections.Select(c => Math.Log10(c))],
            [.. connections.Select(c => c.ToString("N0", CultureInfo.InvariantCulture))]);
        if (logY && allValues.Count > 0)
        {
            SetLogTicks(plot, allValues.Min(), allValues.Max());
        }

        if (!logY && allValues.Count > 0)
        {
            plot.Axes.SetLimitsY(0, allValues.Max() * 1.08); // rates from zero, so heights compare honestly
        }

        plot.ShowLegend(Edge.Right); // outside the data, so no point hides behind it
        plot.SavePng(Path.Combine(directory, chart.FileName), Width, Height);
        return chart;
    }

    private static ChartFile ChurnBars(CompareResults results, string directory)
    {
        var chart = new ChartFile(
            $"churn: connections per second ({results.Plan.ChurnConnections} loops of connect, echo {WorkloadPlan.ChurnSize} B, close)",
            "churn.png");
        var plot = new Plot();
        var palette = new ScottPlot.Palettes.Category10();
        var bars = new List<Bar>();
        for (int i = 0; i < results.Servers.Count; i++)
        {
            ServerResult server = results.Servers[i];
            double rate = server.Find(WorkloadStep.Churn, results.Plan.ChurnConnections, WorkloadPlan.ChurnSize)?.Bench?.ConnectionsPerSecond ?? 0;
            bars.Add(new Bar
            {
                Position = i,
                Value = rate,
                FillColor = palette.GetColor(i),
                Label = rate.ToString("N0", CultureInfo.InvariantCulture),
            });
        }

        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 14;
        plot.Title(chart.Caption);
        plot.YLabel("connections / s");
        plot.XLabel("server");
        plot.Axes.Bottom.SetTicks(
            [.. Enumerable.Range(0, results.Servers.Count).Select(i => (double)i)],
            [.. results.Servers.Select(s => s.Name)]);
        plot.Axes.Margins(bottom: 0);
        plot.SavePng(Path.Combine(directory, chart.FileName), Width, Height);
        return chart;
    }

    /// <summary>Ticks at 1, 2 and 5 times each power of ten across the data, for an axis plotted as log10.</summary>
    private static void SetLogTicks(Plot plot, double min, double max)
    {
        var positions = new List<double>();
        var labels = new List<string>();
        for (int exponent = (int)Math.Floor(Math.Log10(min)); exponent <= (int)Math.Ceiling(Math.Log10(max)); exponent++)
        {
            foreach (int step in new[] { 1, 2, 5 })
            {
                double value = step * Math.Pow(10, exponent);
                positions.Add(Math.Log10(value));
                labels.Add(value >= 1 ? value.ToString("N0", CultureInfo.InvariantCulture) : value.ToString("0.##", CultureInfo.InvariantCulture));
            }
        }

        plot.Axes.Left.SetTicks([.. positions], [.. labels]);
        plot.Axes.SetLimitsY(Math.Log10(min) - 0.1, Math.Log10(max) + 0.1);
    }

    public static string SizeText(int size) => size >= 1024 && size % 1024 == 0
        ? string.Create(CultureInfo.InvariantCulture, $"{size / 1024} KiB")
        : string.Create(CultureInfo.InvariantCulture, $"{size} B");

    private static string FileSize(int size) => SizeText(size).Replace(" ", string.Empty, StringComparison.Ordinal);
}
