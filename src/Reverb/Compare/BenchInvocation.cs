using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Reverb.Bench;

namespace Reverb.Compare;

/// <summary>
/// Runs one step as a `reverb bench ... --json FILE` child process, so the load generator is its own process,
/// apart from compare's sampling and bookkeeping, and reads the figures it wrote.
/// </summary>
internal static class BenchInvocation
{
    /// <summary>The exit code recorded when the bench had to be killed.</summary>
    public const int TimedOut = -1;

    /// <summary>Beyond the step's own estimate: process start, connect timeouts, a slow sample check.</summary>
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A connect or echo stalled this long counts as a timeout in the bench. Shorter than a step's window, so a
    /// connection that stops getting echoes (a server that drops bytes) is counted within the step, not hidden.
    /// </summary>
    public const string StallTimeout = "2s";

    public static async Task<BenchOutcome> RunAsync(
        WorkloadStep step, int port, bool text, TimeSpan duration, TimeSpan warmup, string jsonPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(step);
        File.Delete(jsonPath);
        List<string> arguments =
        [
            "bench", "127.0.0.1", Text(port),
            "--workload", step.Workload,
            "--connections", Text(step.Connections),
            "--size", Text(step.Size),
            "--duration", Milliseconds(duration),
            "--warmup", Milliseconds(warmup),
            "--timeout", StallTimeout,
            "--json", jsonPath,
        ];
        if (text)
        {
            arguments.Add("--text");
        }

        using var process = Process.Start(ReverbExecutable.StartInfo(arguments))
            ?? throw new InvalidOperationException("could not start reverb bench");
        process.StandardInput.Close();
        var output = new OutputTail(process);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(WorkloadPlan.Estimate(step, duration, warmup) + Slack);
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            return new BenchOutcome(null, TimedOut, output.Text());
        }

        // The bench writes its JSON before it fails a run for wrong echoes, so figures and exit code 1 can come together.
        return new BenchOutcome(ReadFigures(jsonPath), process.ExitCode, output.Text());
    }

    public static BenchJsonReport? ReadFigures(string jsonPath)
    {
        try
        {
            using FileStream stream = File.OpenRead(jsonPath);
            return JsonSerializer.Deserialize(stream, BenchJsonContext.Default.BenchJsonReport);
        }
        catch (Exception ex) when (ex is IOException or JsonException)
        {
            return null;
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Milliseconds(TimeSpan value) =>
        $"{Math.Round(value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)}ms";
}
