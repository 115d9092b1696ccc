using System.Diagnostics;

namespace Reverb.Tests.Infrastructure;

/// <summary>Starts the real reverb executable (the built reverb.dll under dotnet, or REVERB_EXE when set, e.g. the NativeAOT binary).</summary>
public static class ReverbCommand
{
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        string? native = Environment.GetEnvironmentVariable("REVERB_EXE");
        ProcessStartInfo start;
        if (!string.IsNullOrEmpty(native))
        {
            start = new ProcessStartInfo(native);
        }
        else
        {
            start = new ProcessStartInfo("dotnet");
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "reverb.dll"));
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        return start;
    }

    /// <summary>Runs reverb to completion (bounded) and returns its exit code and output.</summary>
    public static Task<CommandResult> RunAsync(TimeSpan timeout, params string[] arguments) =>
        RunAsync(new Dictionary<string, string>(), timeout, arguments);

    /// <summary>As <see cref="RunAsync(TimeSpan, string[])"/>, with extra environment variables.</summary>
    public static Task<CommandResult> RunAsync(IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] arguments)
    {
        ProcessStartInfo start = StartInfo(arguments);
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        return ToolCommand.RunAsync(start, timeout);
    }
}
