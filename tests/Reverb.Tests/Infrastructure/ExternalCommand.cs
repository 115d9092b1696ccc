using System.Diagnostics;

namespace Reverb.Tests.Infrastructure;

/// <summary>Runs a command to completion, bounded, with its output captured (reverb itself, or a tool such as buildah).</summary>
public static class ExternalCommand
{
    /// <summary>Runs <paramref name="file"/> with <paramref name="arguments"/> and extra environment variables; kills it at <paramref name="timeout"/>.</summary>
    public static Task<CommandResult> RunAsync(string file, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] arguments)
    {
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

    /// <summary>Runs <paramref name="start"/> (which redirects its output and error) with no input; kills its whole tree at <paramref name="timeout"/>.</summary>
    public static async Task<CommandResult> RunAsync(ProcessStartInfo start, TimeSpan timeout)
    {
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
}

public sealed record CommandResult(int ExitCode, string Stdout, string Stderr);
