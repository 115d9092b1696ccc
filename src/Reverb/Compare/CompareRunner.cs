using System.Diagnostics;
using System.Globalization;
using Reverb.Bench;

namespace Reverb.Compare;

/// <summary>
/// Puts every server through the plan, one after the other and alone on the machine: start it, run each step as
/// a bench child process while sampling the server's process tree, stop it. Stays inside the time budget by
/// skipping steps that would overrun it.
/// </summary>
internal sealed class CompareRunner
{
    private readonly CompareSettings _settings;
    private readonly CompareProgress _progress;
    private readonly TimeSpan _budget;
    private readonly Stopwatch _clock = new();
    private readonly string _scratch;
    private int _skippedForBudget;

    public CompareRunner(CompareSettings settings, CompareProgress progress)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings;
        _progress = progress;
        Estimate = settings.Plan.Estimate(settings.Servers.Count, settings.Duration, settings.Warmup);

        // Room for slow servers (fork per client) without letting a stuck run go on for ever.
        _budget = settings.Budget ?? (Estimate * 1.25) + TimeSpan.FromSeconds(30);
        _scratch = Path.Combine(settings.Output.FullName, ".bench");
    }

    public TimeSpan Estimate { get; }

    public TimeSpan Budget => _budget;

    public async Task<CompareResults> RunAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset startedAt = DateTimeOffset.Now;
        _clock.Start();
        Directory.CreateDirectory(_scratch);
        var servers = new List<ServerResult>();
        try
        {
            foreach (ServerDefinition server in _settings.Servers)
            {
                servers.Add(await RunServerAsync(server, cancellationToken).ConfigureAwait(false));
            }
        }
        finally
        {
            Directory.Delete(_scratch, recursive: true);
        }

        return new CompareResults
        {
            StartedAt = startedAt,
            Command = _settings.CommandLine,
            Machine = MachineDescription(),
            DurationSeconds = _settings.Duration.TotalSeconds,
            WarmupSeconds = _settings.Warmup.TotalSeconds,
            EstimatedSeconds = Math.Round(Estimate.TotalSeconds),
            BudgetSeconds = Math.Round(_budget.TotalSeconds),
            ElapsedSeconds = Math.Round(_clock.Elapsed.TotalSeconds, 1),
            SkippedForBudget = _skippedForBudget,
            Plan = _settings.Plan,
            Servers = servers,
        };
    }

    private async Task<ServerResult> RunServerAsync(ServerDefinition server, CancellationToken cancellationToken)
    {
        WorkloadStep[] plan = [.. _settings.Plan.Steps()];
        var steps = new List<StepResult>();
        string? failure = null;
        _progress.Status($"{server.Name}: starting");
        ServerUnderTest running;
        try
        {
            running = await ServerUnderTest.StartAsync(server, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
        {
            failure = $"did not start: {ex.Message}";
            _progress.Line($"{server.Name}: {failure}");
            return Result(server, [.. plan.Select(s => Skipped(s, "the server did not start"))], failure);
        }

        await using (running.ConfigureAwait(false))
        {
            for (int i = 0; i < plan.Length; i++)
            {
                WorkloadStep step = plan[i];
                string? skip = SkipReason(server, step, running, failure);
                if (skip is not null)
                {
                    steps.Add(Skipped(step, skip));
                    continue;
                }

                _progress.Status($"{server.Name}: {step} ({i + 1}/{plan.Length}), {Elapsed()} of {Format(_budget)} budget");
                StepResult result = await RunStepAsync(step, server, running, cancellationToken).ConfigureAwait(false);
                steps.Add(result);
                _progress.Line($"{server.Name,-12} {step,-28} {Summary(result)}");
                if (result.Status == StepStatus.Failed && failure is null && (step.Workload == WorkloadStep.Idle || running.HasExited))
                {
                    failure = $"failed at {step}: {result.Note}";
                }
            }

            _progress.Status($"{server.Name}: stopping");
        }

        return Result(server, steps, failure);
    }

    /// <summary>Why a step is not run, or null to run it.</summary>
    private string? SkipReason(ServerDefinition server, WorkloadStep step, ServerUnderTest running, string? failure)
    {
        if (running.HasExited)
        {
            return running.ExitDescription;
        }

        if (step.Workload == WorkloadStep.Idle && failure is not null)
        {
            return "an earlier idle step failed";
        }

        if (_clock.Elapsed + WorkloadPlan.Estimate(step, _settings.Duration, _settings.Warmup) > _budget)
        {
            _skippedForBudget++;
            return "over the time budget";
        }

        return null;
    }

    private async Task<StepResult> RunStepAsync(WorkloadStep step, ServerDefinition server, ServerUnderTest running, CancellationToken cancellationToken)
    {
        var elapsed = Stopwatch.StartNew();
        string json = Path.Combine(_scratch, "step.json");
        BenchOutcome outcome;
        ServerFigures serverFigures;
        var meter = ServerLoadMeter.Start(running.Pid);
        await using (meter.ConfigureAwait(false))
        {
            outcome = await BenchInvocation.RunAsync(step, running.Port, server.Text, _settings.Duration, _settings.Warmup, json, cancellationToken)
                .ConfigureAwait(false);
            serverFigures = await meter.StopAsync().ConfigureAwait(false);
        }

        (StepStatus status, string? note) = Judge(outcome, running);
        return new StepResult
        {
            Workload = step.Workload,
            Connections = step.Connections,
            Size = step.Size,
            Status = status,
            Note = note,
            Bench = outcome.Figures,
            Server = serverFigures,
            ElapsedSeconds = Math.Round(elapsed.Elapsed.TotalSeconds, 1),
        };
    }

    private static (StepStatus Status, string? Note) Judge(BenchOutcome outcome, ServerUnderTest running)
    {
        if (running.HasExited)
        {
            return (StepStatus.Failed, running.ExitDescription);
        }

        if (outcome.Figures is null)
        {
            return (StepStatus.Failed, outcome.Describe());
        }

        string? problems = BenchProblems.Of(outcome.Figures);
        if (problems is null)
        {
            return (StepStatus.Ok, null);
        }

        // Idle is about holding every connection: any loss is the failure the idle ladder looks for.
        return (outcome.Figures.Workload == WorkloadStep.Idle ? StepStatus.Failed : StepStatus.Degraded, problems);
    }

    private static StepResult Skipped(WorkloadStep step, string why) => new()
    {
        Workload = step.Workload,
        Connections = step.Connections,
        Size = step.Size,
        Status = StepStatus.Skipped,
        Note = why,
    };

    private static ServerResult Result(ServerDefinition server, IReadOnlyList<StepResult> steps, string? failure) => new()
    {
        Name = server.Name,
        Command = server.Description,
        IsPeer = server.IsPeer,
        TextPayloads = server.Text,
        Steps = steps,
        Failure = failure,
    };

    private static string Summary(StepResult result)
    {
        BenchJsonReport? bench = result.Bench;
        string figure = bench switch
        {
            { RoundTripsPerSecond: { } rate } => $"{rate,10:N0} rt/s, p99 {bench.LatencyUs?.P99 ?? 0:N0} µs",
            { ConnectionsPerSecond: { } rate } => $"{rate,10:N0} conn/s",
            { Established: { } held } => $"{held,10:N0} held",
            _ => string.Empty,
        };
        string memory = result.Server is { } server ? $", server {server.PeakRssBytes / 1048576.0:N0} MiB RSS, {server.CpuSeconds:N1} s CPU" : string.Empty;
        string status = result.Status == StepStatus.Ok ? string.Empty : $" [{result.Status.ToString().ToLowerInvariant()}: {result.Note}]";
        return figure + memory + status;
    }

    private string Elapsed() => Format(_clock.Elapsed);

    public static string Format(TimeSpan span) => span.TotalMinutes >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalMinutes}m{span.Seconds:00}s")
        : string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:0}s");

    private static string MachineDescription()
    {
        long memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"{Environment.ProcessorCount} cores, {memory / (1024.0 * 1024 * 1024):0} GiB, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
    }
}
