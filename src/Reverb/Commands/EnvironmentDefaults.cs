using System.CommandLine;
using System.CommandLine.Parsing;

namespace Reverb.Commands;

/// <summary>
/// Options from the environment, for containers: <c>--max-clients</c> reads <c>REVERB_MAX_CLIENTS</c>
/// when it is not on the command line (the command line wins). A bad value is a one-line error naming the variable.
/// </summary>
internal static class EnvironmentDefaults
{
    public delegate bool TryParse<T>(string text, out T value);

    public static string VariableFor(string name) => "REVERB_" + name.TrimStart('-').Replace('-', '_').ToUpperInvariant();

    public static Option<T> FromEnvironment<T>(this Option<T> option, TryParse<T> parse, T fallback, string expected)
    {
        string variable = VariableFor(option.Name);
        option.Description += $" [env: {variable}]";
        option.DefaultValueFactory = result => Read(result, variable, parse, fallback, expected);
        return option;
    }

    public static Argument<T> FromEnvironment<T>(this Argument<T> argument, TryParse<T> parse, T fallback, string expected)
    {
        string variable = VariableFor(argument.Name);
        argument.Description += $" [env: {variable}]";
        argument.DefaultValueFactory = result => Read(result, variable, parse, fallback, expected);
        return argument;
    }

    public static bool TryParseFlag(string text, out bool value)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "1" or "true" or "yes" or "on":
                value = true;
                return true;
            case "0" or "false" or "no" or "off" or "":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    private static T Read<T>(ArgumentResult result, string variable, TryParse<T> parse, T fallback, string expected)
    {
        string? text = Environment.GetEnvironmentVariable(variable);
        if (text is null)
        {
            return fallback;
        }

        if (parse(text, out T value))
        {
            return value;
        }

        result.AddError($"{variable}='{text}' is not valid: expected {expected}");
        return fallback;
    }
}
