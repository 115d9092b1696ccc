namespace Reverb.Bench;

/// <summary>What the idle workload found: connections opened and held, and how many of a sample still echoed.</summary>
internal sealed record IdleOutcome(int Established, int Sampled, int Echoed);
