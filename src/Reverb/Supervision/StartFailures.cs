namespace Reverb.Supervision;

/// <summary>A master's run of failed starts: processes that died before they had served, or could not be launched.</summary>
/// <param name="InARow">How many in a row (0: the last process served, or none failed).</param>
/// <param name="LastAtMs">When the last of them happened, on the master's monotonic millisecond clock.</param>
internal readonly record struct StartFailures(int InARow, long LastAtMs);
