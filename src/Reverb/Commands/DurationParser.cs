using System.CommandLine.Parsing;
using System.Globalization;

namespace Reverb.Commands;

/// <summary>Parses durations as people write them: "500ms", "10s", "2m", "1h"; a plain number is seconds.</summary>
internal static class DurationParser
{
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        string value = text.Trim().ToLowerInvariant();
        (string number, double scale) = value switch
        {
            _ when value.EndsWith("ms", StringComparison.Ordinal) => (value[..^2], 0.001),
            _ when value.EndsWith('s') => (value[..^1], 1.0),
            _ when value.EndsWith('m') => (value[..^1], 60.0),
            _ when value.EndsWith('h') => (value[..^1], 3600.0),
            _ => (value, 1.0),
        };

        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double amount)
            || double.IsNaN(amount) || amount < 0 || amount * scale > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(amount * scale);
        return true;
    }

    /// <summary>A System.CommandLine parser for a duration option, with a clear error.</summary>
    public static TimeSpan Parse(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
        if (TryParse(text, out TimeSpan duration))
        {
            return duration;
        }

        result.AddError($"'{text}' is not a duration (examples: 500ms, 10s, 2m, 1h)");
        return default;
    }
}
