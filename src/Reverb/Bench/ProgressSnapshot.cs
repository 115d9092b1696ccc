namespace Reverb.Bench;

/// <summary>A moment of a running benchmark, as shown on the live progress line.</summary>
internal readonly record struct ProgressSnapshot(string Phase, double ElapsedSeconds, BenchTotals Totals, int? Established);
