namespace Reverb.Supervision;

/// <summary>What a master knows when it decides (<see cref="MasterPolicy.Decide"/>): counts of its processes, its run of failed starts, whether it is stopping.</summary>
/// <param name="Wanted">Serving processes the model keeps: --workers for the workers model, one forking process for the process model.</param>
/// <param name="Ready">Of the current generation: up and serving.</param>
/// <param name="Starting">Of the current generation: launched, not ready yet.</param>
/// <param name="Outdated">Of an earlier generation (after a reload): still serving until the current one is ready.</param>
/// <param name="Stopping">The master is shutting down.</param>
/// <param name="Failures">The run of failed starts so far.</param>
internal readonly record struct MasterState(int Wanted, int Ready, int Starting, int Outdated = 0, bool Stopping = false, StartFailures Failures = default);
