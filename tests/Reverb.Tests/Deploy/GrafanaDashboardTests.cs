using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Reverb.Tests.Infrastructure;
using Reverb.Tests.Monitoring;

namespace Reverb.Tests.Deploy;

/// <summary>deploy/grafana/reverb.json queries only metrics and labels that a real reverb serves.</summary>
public sealed partial class GrafanaDashboardTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Labels Prometheus adds to every scraped series (the target's), not reverb.</summary>
    private static readonly string[] TargetLabels = ["instance", "job"];

    private static string DashboardPath => Path.Combine(SystemdUnitTests.DeployFolder, "grafana", "reverb.json");

    [Fact]
    public async Task Every_metric_and_label_the_dashboard_queries_is_in_a_real_scrape()
    {
        // UDP on, so that its counters exist; TCP and UDP traffic, so that the figures move.
        await using var server = await ReverbServer.StartAsync("--model", "workers", "--udp", "--metrics", "127.0.0.1:0");
        int metricsPort = await MetricsTests.MetricsPortAsync(server);
        using (var client = await EchoClient.ConnectAsync(server))
        {
            await client.RoundTripAsync("dashboard"u8.ToArray());
        }

        using (var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0)))
        {
            using var cts = new CancellationTokenSource(Timeout);
            await udp.SendAsync("dashboard"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, server.Port), cts.Token);
            await udp.ReceiveAsync(cts.Token);
        }

        Dictionary<string, HashSet<string>> scrape = Families(await MetricsTests.ScrapeAsync(metricsPort));
        string dashboard = await File.ReadAllTextAsync(DashboardPath);

        List<string> problems = Problems(dashboard, scrape);

        Assert.True(problems.Count == 0, string.Join('\n', problems));

        // The same check on a dashboard that queries a renamed metric, or groups by a label reverb does not have, fails.
        Assert.Contains("reverb_connections_open: not in the scrape", string.Join('\n', Problems(dashboard.Replace("reverb_connections_active", "reverb_connections_open", StringComparison.Ordinal), scrape)), StringComparison.Ordinal);
        Assert.Contains("label status", string.Join('\n', Problems(dashboard.Replace("by (state)", "by (status)", StringComparison.Ordinal), scrape)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_panel_queries_the_data_source_the_dashboard_asks_for()
    {
        using JsonDocument dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(DashboardPath));
        JsonElement variable = dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray().Single(v => v.GetProperty("type").GetString() == "datasource");
        Assert.Equal("prometheus", variable.GetProperty("query").GetString());
        string uid = $"${{{variable.GetProperty("name").GetString()}}}";

        JsonElement[] panels = [.. dashboard.RootElement.GetProperty("panels").EnumerateArray()];
        Assert.NotEmpty(panels);
        foreach (JsonElement panel in panels)
        {
            Assert.Equal(uid, panel.Path("datasource", "uid").GetString());
            Assert.All(panel.GetProperty("targets").EnumerateArray(), t => Assert.Equal(uid, t.Path("datasource", "uid").GetString()));
        }

        Assert.Equal(panels.Length, panels.Select(p => p.GetProperty("id").GetInt32()).Distinct().Count());
    }

    [Theory]
    [InlineData("sum by (instance) (rate(reverb_connections_accepted_total{instance=~\"$instance\"}[$__rate_interval]))", "reverb_connections_accepted_total", "instance")]
    [InlineData("histogram_quantile(0.99, sum by (le) (rate(x_seconds_bucket{job=\"a\",path!~\"/x{1}\"}[5m])))", "x_seconds_bucket", "le job path")]
    [InlineData("rate(a_total[1h] offset 5m) / ignoring(reason) group_left b and on(instance) c:rule > 1e3", "a_total b c:rule", "reason instance")]
    [InlineData("count(reverb_info) without (version)", "reverb_info", "version")]
    [InlineData("label_values(reverb_info{model=\"workers\"}, instance)", "reverb_info", "model instance")]
    [InlineData("label_values(instance)", "", "instance")]
    public void The_PromQL_reader_finds_metric_and_label_names_and_nothing_else(string expression, string metrics, string labels)
    {
        (IReadOnlySet<string> foundMetrics, IReadOnlySet<string> foundLabels) = PromQlReader.Read(expression);

        Assert.Equal(metrics.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal), foundMetrics.Order(StringComparer.Ordinal));
        Assert.Equal(labels.Split(' ').Order(StringComparer.Ordinal), foundLabels.Order(StringComparer.Ordinal));
    }

    /// <summary>What the dashboard queries that the scrape lacks: one line each, none when all is there.</summary>
    private static List<string> Problems(string dashboardJson, Dictionary<string, HashSet<string>> scrape)
    {
        var problems = new List<string>();
        int queries = 0;
        foreach ((string expression, string? legend) in Queries(JsonDocument.Parse(dashboardJson).RootElement))
        {
            queries++;
            (IReadOnlySet<string> metrics, IReadOnlySet<string> labels) = PromQlReader.Read(expression);
            if (metrics.Count == 0)
            {
                problems.Add($"{expression}: no metric found in it");
            }

            problems.AddRange(metrics.Where(m => !scrape.ContainsKey(m)).Select(m => $"{expression}: {m}: not in the scrape"));
            HashSet<string> known = [.. TargetLabels, .. metrics.Where(scrape.ContainsKey).SelectMany(m => scrape[m])];
            IEnumerable<string> used = labels.Concat(legend is null ? [] : PromQlReader.LegendLabels(legend));
            problems.AddRange(used.Where(l => !known.Contains(l)).Distinct().Select(l => $"{expression}: label {l}: no metric it queries has it"));
        }

        if (queries == 0)
        {
            problems.Add("the dashboard has no queries");
        }

        return problems;
    }

    /// <summary>Every PromQL query: the targets' expr (with their legend) and the query variables' queries.</summary>
    private static IEnumerable<(string Expression, string? Legend)> Queries(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            return element.EnumerateArray().SelectMany(Queries);
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return [];
        }

        var found = new List<(string, string?)>();
        if (element.TryGetProperty("expr", out JsonElement expr))
        {
            found.Add((expr.GetString()!, element.TryGetProperty("legendFormat", out JsonElement legend) ? legend.GetString() : null));
        }

        if (element.TryGetProperty("type", out JsonElement type) && type.GetString() == "query" && element.TryGetProperty("query", out JsonElement query))
        {
            found.Add((query.ValueKind == JsonValueKind.Object ? query.GetProperty("query").GetString()! : query.GetString()!, null));
        }

        found.AddRange(element.EnumerateObject().Where(p => p.Name != "expr").SelectMany(p => Queries(p.Value)));
        return found;
    }

    /// <summary>Metric name → its label names, from a scrape's "name{a="x",b="y"}" keys.</summary>
    private static Dictionary<string, HashSet<string>> Families(Dictionary<string, double> scrape)
    {
        var families = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (string series in scrape.Keys)
        {
            int brace = series.IndexOf('{', StringComparison.Ordinal);
            string name = brace < 0 ? series : series[..brace];
            HashSet<string> labels = families.TryGetValue(name, out HashSet<string>? seen) ? seen : families[name] = [];
            if (brace >= 0)
            {
                labels.UnionWith(SeriesLabel().Matches(series[brace..]).Select(m => m.Groups[1].Value));
            }
        }

        return families;
    }

    [GeneratedRegex(@"[{,]([A-Za-z_]\w*)=""")]
    private static partial Regex SeriesLabel();
}
