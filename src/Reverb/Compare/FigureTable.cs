using System.Globalization;
using System.Text;

namespace Reverb.Compare;

/// <summary>
/// A markdown table of one figure: a row per server, a column per connection count (or per figure). The best
/// clean value in each column is bold; values from runs with errors or wrong echoes carry a warning sign and
/// never count as best; steps not run show a dash.
/// </summary>
internal sealed class FigureTable
{
    private readonly string _corner;
    private readonly IReadOnlyList<string> _columns;
    private readonly List<(string Server, FigureCell[] Cells)> _rows = [];

    public FigureTable(string corner, IReadOnlyList<string> columns)
    {
        _corner = corner;
        _columns = columns;
    }

    public void AddRow(string server, IEnumerable<FigureCell> cells) => _rows.Add((server, [.. cells]));

    public string ToMarkdown()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"| {_corner} | {string.Join(" | ", _columns)} |\n");
        text.Append(CultureInfo.InvariantCulture, $"|---|{string.Concat(_columns.Select(_ => "---:|"))}\n");
        double?[] best = [.. Enumerable.Range(0, _columns.Count).Select(Best)];
        foreach (var (server, cells) in _rows)
        {
            text.Append(CultureInfo.InvariantCulture, $"| {server} |");
            for (int c = 0; c < cells.Length; c++)
            {
                text.Append(CultureInfo.InvariantCulture, $" {Render(cells[c], best[c])} |");
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    private double? Best(int column)
    {
        FigureCell[] clean = [.. _rows.Select(r => r.Cells[column]).Where(c => c.Value is not null && c.Status == StepStatus.Ok)];
        if (clean.Length < 2)
        {
            return null; // nothing to compare with
        }

        return clean[0].Better == Better.Higher ? clean.Max(c => c.Value) : clean.Min(c => c.Value);
    }

    private static string Render(FigureCell cell, double? best)
    {
        if (cell.Value is not { } value)
        {
            return cell.Status == StepStatus.Failed ? "✗ failed" : "–";
        }

        string text = value.ToString(cell.Format, CultureInfo.InvariantCulture);
        if (cell.Status != StepStatus.Ok)
        {
            return $"{text} ⚠";
        }

        // Compared as shown, so values that round to the same text are all marked.
        return best is { } b && text == b.ToString(cell.Format, CultureInfo.InvariantCulture) ? $"**{text}**" : text;
    }
}
