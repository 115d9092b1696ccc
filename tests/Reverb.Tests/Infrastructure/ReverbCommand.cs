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
    public static async Task<CommandResult> RunAsync(IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] arguments)
    {
        ProcessStartInfo start = StartInfo(arguments);
        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        return await RunToEndAsync(start, timeout);
    }

    /// <summary>Runs any command to completion (bounded; killed with its children past it), its input closed, and returns its exit code and output.</summary>
    public static async Task<CommandResult> RunToEndAsync(ProcessStartInfo start, TimeSpan timeout)
    {
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{start.FileName} {string.Join(' ', start.ArgumentList)} did not exit within {timeout}");
        }

        return new CommandResult(process.ExitCode, await stdout, await stderr);
    }
}

public sealed record CommandResult(int ExitCode, string Stdout, string Stderr);
