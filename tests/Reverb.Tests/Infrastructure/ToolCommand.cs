using System.Diagnostics;

namespace Reverb.Tests.Infrastructure;

/// <summary>Runs an outside tool (ip, haproxy -c, buildah, reverb itself, ...) to completion, bounded, and returns its exit code and output.</summary>
public static class ToolCommand
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static Task<CommandResult> RunAsync(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return RunAsync(start, DefaultTimeout);
    }

    /// <summary>Runs <paramref name="file"/> with <paramref name="arguments"/> and extra environment variables; kills it at <paramref name="timeout"/>.</summary>
    public static Task<CommandResult> RunAsync(string file, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] arguments)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var start = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        return RunAsync(start, timeout);
    }

    /// <summary>Runs <paramref name="start"/> (its output redirected) to completion within <paramref name="timeout"/>, its input closed at once.</summary>
    public static async Task<CommandResult> RunAsync(ProcessStartInfo start, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(start);
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        if (start.RedirectStandardInput)
        {
            process.StandardInput.Close();
        }

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

    /// <summary>As <see cref="RunAsync(string, string[])"/>, failing with the tool's own message when it exits non-zero.</summary>
    public static async Task<string> CheckedAsync(string tool, params string[] arguments)
    {
        CommandResult result = await RunAsync(tool, arguments);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} exited {result.ExitCode}: {result.Stderr.Trim()}");
        }

        return result.Stdout;
    }
}

public sealed record CommandResult(int ExitCode, string Stdout, string Stderr);
