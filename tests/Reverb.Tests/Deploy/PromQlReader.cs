using System.Text.RegularExpressions;

namespace Reverb.Tests.Deploy;

/// <summary>
/// The metric and label names a PromQL expression (as a Grafana panel writes it) refers to: enough to
/// check a dashboard against a real scrape, not a PromQL parser. Functions and aggregations (a name
/// followed by "("), keywords, numbers, durations, strings and Grafana's $variables are not names.
/// </summary>
public static partial class PromQlReader
{
    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan", "Inf", "NaN",
    };

    /// <summary>Metric names (a histogram's as queried: x_bucket, x_sum, x_count) and label names in <paramref name="expression"/>.</summary>
    public static (IReadOnlySet<string> Metrics, IReadOnlySet<string> Labels) Read(string expression)
    {
        var labels = new HashSet<string>(StringComparer.Ordinal);

        // Grafana's label_values(SELECTOR, LABEL), in a variable's query.
        string text = LabelValues().Replace(expression, m =>
        {
            labels.Add(m.Groups["label"].Value);
            return m.Groups["selector"].Value;
        });
        text = StringLiteral().Replace(text, "\"\"");
        foreach (Match matcher in Matchers().Matches(text))
        {
            labels.UnionWith(MatcherLabel().Matches(matcher.Groups[1].Value).Select(m => m.Groups[1].Value));
        }

        text = Matchers().Replace(text, " ");
        foreach (Match clause in Grouping().Matches(text))
        {
            labels.UnionWith(clause.Groups["labels"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        text = Grouping().Replace(text, " ");
        text = RangeOrVariableOrNumber().Replace(text, " ");
        var metrics = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match name in Name().Matches(text))
        {
            if (!Keywords.Contains(name.Value))
            {
                metrics.Add(name.Value);
            }
        }

        return (metrics, labels);
    }

    /// <summary>The labels a legend format such as "{{instance}} {{reason}}" shows.</summary>
    public static IEnumerable<string> LegendLabels(string legendFormat) =>
        LegendLabel().Matches(legendFormat).Select(m => m.Groups[1].Value);

    [GeneratedRegex(@"label_values\(\s*(?:(?<selector>.*?)\s*,\s*)?(?<label>[A-Za-z_]\w*)\s*\)")]
    private static partial Regex LabelValues();

    [GeneratedRegex(@"""(?:[^""\\]|\\.)*""|'(?:[^'\\]|\\.)*'|`[^`]*`")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{([^}]*)\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)")]
    private static partial Regex MatcherLabel();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\((?<labels>[^)]*)\)")]
    private static partial Regex Grouping();

    /// <summary>[5m] and [$__rate_interval] ranges, $variable and ${variable}, numbers and durations (5m, 1e3, 0.99).</summary>
    [GeneratedRegex(@"\[[^\]]*\]|\$\{?\w+\}?|(?<![\w:])\d[\w.]*")]
    private static partial Regex RangeOrVariableOrNumber();

    /// <summary>A name not followed by "(" (that would be a function or an aggregation).</summary>
    [GeneratedRegex(@"(?<![\w:])[A-Za-z_:][\w:]*(?![\w:])(?!\s*\()")]
    private static partial Regex Name();

    [GeneratedRegex(@"\{\{\s*(\w+)\s*\}\}")]
    private static partial Regex LegendLabel();
}
