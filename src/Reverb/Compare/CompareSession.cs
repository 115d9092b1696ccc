using System.Text.Json;
using Spectre.Console;

namespace Reverb.Compare;

/// <summary>One `reverb compare` end to end: state the plan and budget, run it with progress, write the outputs.</summary>
internal static class CompareSession
{
    public static async Task<int> RunAsync(CompareSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        try
        {
            settings.Output.Create();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CompareException($"cannot create {settings.Output.FullName}: {ex.Message}");
        }

        bool terminal = !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

        // The status context exists only inside Status().StartAsync; the runner's progress reaches it through this.
        StatusContext? status = null;
        var runner = new CompareRunner(settings, terminal ? TerminalProgress(() => status) : PlainProgress());
        int steps = settings.Plan.Steps().Count();
        Console.WriteLine(
            $"reverb compare: {settings.Servers.Count} servers ({string.Join(", ", settings.Servers.Select(s => s.Name))}) × {steps} steps; "
            + $"estimated {CompareRunner.Format(runner.Estimate)}, budget {CompareRunner.Format(runner.Budget)}");

        CompareResults results;
        if (terminal)
        {
            results = await AnsiConsole.Status().StartAsync("starting", async context =>
            {
                status = context;
                return await runner.RunAsync(cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
        else
        {
            results = await runner.RunAsync(cancellationToken).ConfigureAwait(false);
        }

        Write(settings.Output, results);
        Console.WriteLine(
            $"reverb compare: done in {CompareRunner.Format(TimeSpan.FromSeconds(results.ElapsedSeconds))}"
            + (results.SkippedForBudget > 0 ? $" ({results.SkippedForBudget} steps skipped to stay in the budget)" : string.Empty)
            + $"; report in {Path.Combine(settings.Output.FullName, ReportWriter.FileName)}");
        return 0;
    }

    /// <summary>Writes the report and charts again from an earlier results.json: the same figures, a new layout.</summary>
    public static int Render(FileInfo resultsFile, DirectoryInfo output)
    {
        ArgumentNullException.ThrowIfNull(resultsFile);
        ArgumentNullException.ThrowIfNull(output);
        CompareResults results;
        try
        {
            using FileStream stream = resultsFile.OpenRead();
            results = JsonSerializer.Deserialize(stream, CompareJsonContext.Default.CompareResults)
                ?? throw new CompareException($"{resultsFile.FullName} holds no results");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new CompareException($"cannot read {resultsFile.FullName}: {ex.Message}");
        }

        output.Create();
        Write(output, results);
        Console.WriteLine($"reverb compare: report written again in {Path.Combine(output.FullName, ReportWriter.FileName)}");
        return 0;
    }

    private static CompareProgress PlainProgress() => new(
        status => Console.WriteLine($"  .. {status}"),
        Console.WriteLine);

    private static CompareProgress TerminalProgress(Func<StatusContext?> context) => new(
        status => context()?.Status(Markup.Escape(status)),
        line => AnsiConsole.MarkupLine(Markup.Escape(line)));

    private static void Write(DirectoryInfo output, CompareResults results)
    {
        try
        {
            using (FileStream json = File.Create(Path.Combine(output.FullName, "results.json")))
            {
                JsonSerializer.Serialize(json, results, CompareJsonContext.Default.CompareResults);
            }

            IReadOnlyList<ChartFile> charts = ChartWriter.WriteAll(results, output.FullName);
            File.WriteAllText(Path.Combine(output.FullName, ReportWriter.FileName), ReportWriter.Build(results, charts));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CompareException($"cannot write to {output.FullName}: {ex.Message}");
        }
    }
}
