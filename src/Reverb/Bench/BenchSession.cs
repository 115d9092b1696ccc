using System.Net.Sockets;
using System.Text.Json;
using Reverb.Client;
using Spectre.Console;

namespace Reverb.Bench;

/// <summary>
/// One `reverb bench` invocation end to end: check the server answers at all, run the workload with live
/// progress, then print the table and write the JSON.
/// </summary>
internal static class BenchSession
{
    /// <summary>Read once by the runtime's socket engine, when the first socket operation is registered.</summary>
    private const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static async Task<int> RunAsync(BenchSettings settings, FileInfo? jsonFile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        PreferInlineSocketCompletions();
        await ProbeAsync(settings, cancellationToken).ConfigureAwait(false);

        IBenchRun run = settings.Workload == BenchWorkload.Idle
            ? new IdleRun(settings, message => Console.Error.WriteLine($"reverb: warning: {message}"))
            : new LoadRun(settings);
        Task<BenchResult> running = run.RunAsync(cancellationToken);
        await new ProgressDisplay(run).ShowUntilAsync(running).ConfigureAwait(false);
        BenchResult result = await running.ConfigureAwait(false);

        bool jsonToStdout = jsonFile is { Name: "-" };
        if (!jsonToStdout)
        {
            AnsiConsole.Write(BenchReport.Build(result));
        }

        if (jsonFile is not null)
        {
            WriteJson(result, jsonFile, jsonToStdout);
        }

        if (result.Totals.Mismatches > 0)
        {
            throw new BenchException($"{result.Totals.Mismatches} echoed messages did not match what was sent");
        }

        return 0;
    }

    /// <summary>
    /// Runs socket continuations on the socket engine's epoll thread instead of handing each one to the thread pool.
    /// The workers never block, and on a small machine the hand-off (a futex wake per echo) costs the load generator
    /// more CPU than the echo itself, CPU the server under test then lacks. Must happen before the first socket
    /// operation; a value the user set explicitly is left alone.
    /// </summary>
    private static void PreferInlineSocketCompletions()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletionsVariable) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletionsVariable, "1");
        }
    }

    /// <summary>A server that is not there is a usage problem, not a benchmark result: say so in one line.</summary>
    private static async Task ProbeAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        using var socket = new Socket(settings.Target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.Timeout);
        try
        {
            await socket.ConnectAsync(settings.Target, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BenchException($"cannot connect to {settings.Target}: timed out");
        }
        catch (SocketException ex)
        {
            throw new BenchException($"cannot connect to {settings.Target}: {SocketErrorText.Describe(ex)}");
        }
    }

    private static void WriteJson(BenchResult result, FileInfo jsonFile, bool toStdout)
    {
        try
        {
            using Stream destination = toStdout ? Console.OpenStandardOutput() : jsonFile.Create();
            JsonSerializer.Serialize(destination, BenchJsonReport.From(result), BenchJsonContext.Default.BenchJsonReport);
            if (toStdout)
            {
                destination.Write("\n"u8);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new BenchException($"cannot write {jsonFile.FullName}: {ex.Message}");
        }
    }
}
