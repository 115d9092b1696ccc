using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Reverb.Tests.Infrastructure;
using Reverb.Tests.Monitoring;

namespace Reverb.Tests.Deploy;

/// <summary>
/// deploy/grafana/reverb.json queries only metrics and labels that a real reverb serves; its queries
/// are read with Prometheus' own PromQL grammar (tests/deploy-checks/promql-names.mjs).
/// </summary>
public sealed partial class GrafanaDashboardTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Labels Prometheus adds to every scraped series (the target's), not reverb.</summary>
    private static readonly string[] TargetLabels = ["instance", "job"];

    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    private static string DashboardPath => Path.Combine(SystemdUnitTests.DeployFolder, "grafana", "reverb.json");

    [SkippableFact]
    public async Task Every_metric_and_label_the_dashboard_queries_is_in_a_real_scrape()
    {
        DeployChecks.SkipUnlessNodeIsInstalled();

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

        List<string> problems = Problems(await QueriesAsync(DashboardPath), scrape);

        Assert.True(problems.Count == 0, string.Join('\n', problems));

        // The same check on a dashboard that queries a renamed metric, or groups by a label reverb does not have, fails.
        string folder = Directory.CreateTempSubdirectory("reverb-dashboard").FullName;
        try
        {
            string renamed = Path.Combine(folder, "renamed.json");
            await File.WriteAllTextAsync(renamed, dashboard.Replace("reverb_connections_active", "reverb_connections_open", StringComparison.Ordinal));
            string relabelled = Path.Combine(folder, "relabelled.json");
            await File.WriteAllTextAsync(relabelled, dashboard.Replace("by (state)", "by (status)", StringComparison.Ordinal));

            Assert.Contains("reverb_connections_open: not in the scrape", string.Join('\n', Problems(await QueriesAsync(renamed), scrape)), StringComparison.Ordinal);
            Assert.Contains("label status: no metric it queries has it", string.Join('\n', Problems(await QueriesAsync(relabelled), scrape)), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
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

    /// <summary>The reader is Prometheus' grammar: it tells metrics from functions and labels, and rejects what Prometheus would.</summary>
    [SkippableFact]
    public async Task The_PromQL_reader_finds_metric_and_label_names_and_rejects_bad_syntax()
    {
        DeployChecks.SkipUnlessNodeIsInstalled();
        string folder = Directory.CreateTempSubdirectory("reverb-dashboard").FullName;
        try
        {
            string good = Path.Combine(folder, "good.json");
            await File.WriteAllTextAsync(good, """
                { "panels": [ { "targets": [
                  { "expr": "histogram_quantile(0.99, sum by (le) (rate(x_seconds_bucket{job=\"a\",path!~\"/x{1}\"}[$__rate_interval])))", "legendFormat": "{{le}} {{ path }}" },
                  { "expr": "rate(a_total[1h] offset 5m) / ignoring(reason) group_left b and on(instance) c:rule > 1e3" } ] } ],
                  "templating": { "list": [ { "type": "query", "query": { "query": "label_values(reverb_info{model=\"workers\"}, version)" } } ] } }
                """);
            string bad = Path.Combine(folder, "bad.json");
            await File.WriteAllTextAsync(bad, """{ "panels": [ { "targets": [ { "expr": "sum(rate(reverb_sent_bytes_total[5m])" } ] } ] }""");

            List<Query> queries = await QueriesAsync(good);
            CommandResult rejected = await DeployChecks.RunAsync("promql-names.mjs", bad);

            Assert.Equal(
                ["x_seconds_bucket: job le path", "a_total b c:rule: instance reason", "reverb_info: model version"],
                queries.OrderBy(q => q.Expr.StartsWith("label_values", StringComparison.Ordinal)).Select(q => $"{string.Join(' ', q.Metrics.Order(StringComparer.Ordinal))}: {string.Join(' ', q.Labels.Order(StringComparer.Ordinal))}"));
            Assert.Equal(1, rejected.ExitCode);
            Assert.Contains("syntax error", rejected.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>What the dashboard queries that the scrape lacks: one line each, none when all is there.</summary>
    private static List<string> Problems(List<Query> queries, Dictionary<string, HashSet<string>> scrape)
    {
        var problems = new List<string>();
        foreach (Query query in queries)
        {
            if (query.Error is not null)
            {
                problems.Add($"{query.Expr}: {query.Error}");
            }

            if (query.Metrics.Length == 0)
            {
                problems.Add($"{query.Expr}: no metric found in it");
            }

            problems.AddRange(query.Metrics.Where(m => !scrape.ContainsKey(m)).Select(m => $"{query.Expr}: {m}: not in the scrape"));
            HashSet<string> known = [.. TargetLabels, .. query.Metrics.Where(scrape.ContainsKey).SelectMany(m => scrape[m])];
            problems.AddRange(query.Labels.Where(l => !known.Contains(l)).Select(l => $"{query.Expr}: label {l}: no metric it queries has it"));
        }

        if (queries.Count == 0)
        {
            problems.Add("the dashboard has no queries");
        }

        return problems;
    }

    /// <summary>Every query of a dashboard as Prometheus' grammar reads it (tests/deploy-checks/promql-names.mjs).</summary>
    private static async Task<List<Query>> QueriesAsync(string dashboard)
    {
        CommandResult result = await DeployChecks.RunAsync("promql-names.mjs", dashboard);
        Assert.True(result.Stderr.Length == 0, result.Stderr);
        return JsonSerializer.Deserialize<List<Query>>(result.Stdout, WebJson)!;
    }

    private sealed record Query(string Expr, string[] Metrics, string[] Labels, string? Error);

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
