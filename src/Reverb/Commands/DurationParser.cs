using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Reverb.Commands;

/// <summary>
/// Parses human durations such as <c>10s</c>, <c>500ms</c>, <c>2m</c>, <c>1h</c>; a plain number means seconds.
/// Shared by every option that takes a duration so they all accept the same spellings.
/// </summary>
internal static class DurationParser
{
    private static readonly (string Suffix, double Seconds)[] Units =
    [
        // "ms" must be tried before "m" and "s" so that "500ms" is not read as minutes or seconds.
        ("ms", 0.001),
        ("s", 1),
        ("m", 60),
        ("h", 3600),
    ];

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        string trimmed = text.Trim();
        double scale = 1;
        foreach (var (suffix, seconds) in Units)
        {
            if (trimmed.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                trimmed = trimmed[..^suffix.Length];
                scale = seconds;
                break;
            }
        }

        if (!double.TryParse(trimmed, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value)
            || double.IsNaN(value) || double.IsInfinity(value))
        {
            return false;
        }

        double totalSeconds = value * scale;
        if (totalSeconds > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(totalSeconds);
        return true;
    }

    /// <summary>
    /// A System.CommandLine <c>CustomParser</c>: reports an error on the option instead of throwing,
    /// so a bad value becomes one clear line and exit code 2.
    /// </summary>
    public static TimeSpan Parse(ArgumentResult result) => Parse(result, allowZero: true);

    /// <summary>Like <see cref="Parse(ArgumentResult)"/>, but zero is an error too (timeouts, measuring windows).</summary>
    public static TimeSpan ParsePositive(ArgumentResult result) => Parse(result, allowZero: false);

    private static TimeSpan Parse(ArgumentResult result, bool allowZero)
    {
        ArgumentNullException.ThrowIfNull(result);
        string? text = result.Tokens.Count > 0 ? result.Tokens[^1].Value : null; // the last one wins if repeated
        if (!TryParse(text, out TimeSpan duration))
        {
            result.AddError($"'{text}' is not a duration; use e.g. 10s, 500ms, 2m, 1h or a number of seconds");
        }
        else if (!allowZero && duration <= TimeSpan.Zero)
        {
            result.AddError($"the duration must be more than zero, not '{text}'");
        }

        return duration;
    }

    /// <summary>A duration option with its default, help name and parser (zero allowed or not).</summary>
    public static Option<TimeSpan> Option(string name, string? alias, string defaultValue, string description, bool allowZero)
    {
        var option = alias is null ? new Option<TimeSpan>(name) : new Option<TimeSpan>(name, alias);
        option.Description = $"{description} E.g. 10s, 500ms, 2m.";
        option.HelpName = "duration";
        option.CustomParser = allowZero ? Parse : ParsePositive;
        option.DefaultValueFactory = _ => TryParse(defaultValue, out TimeSpan parsed) ? parsed : TimeSpan.Zero;
        return option;
    }
}
