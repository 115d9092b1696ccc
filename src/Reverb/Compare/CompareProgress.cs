namespace Reverb.Compare;

/// <summary>Where the run tells what it is doing: a changing status line, and lines that stay (one per step).</summary>
internal sealed record CompareProgress(Action<string> Status, Action<string> Line);
