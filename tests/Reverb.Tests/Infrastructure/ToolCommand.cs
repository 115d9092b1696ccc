using System.Diagnostics;

namespace Reverb.Tests.Infrastructure;

/// <summary>Runs an outside tool (ip, haproxy -c, ...) to completion, bounded, and returns its exit code and output.</summary>
public static class ToolCommand
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    public static async Task<CommandResult> RunAsync(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(DefaultTimeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', arguments)} did not exit within {DefaultTimeout.TotalSeconds:0} s");
        }

        return new CommandResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>As <see cref="RunAsync"/>, failing with the tool's own message when it exits non-zero.</summary>
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
