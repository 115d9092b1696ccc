namespace Reverb.Supervision;

/// <summary>What a master does now (<see cref="MasterPolicy.Decide"/>).</summary>
/// <param name="Start">Processes to start now.</param>
/// <param name="Retire">Outdated processes to retire now (their successors are ready).</param>
/// <param name="WakeAtMs">When to decide again if nothing happens first (a backoff ends); <see cref="Never"/>: only when something happens.</param>
internal readonly record struct MasterDecision(int Start, int Retire, long WakeAtMs)
{
    public const long Never = long.MaxValue;
}
