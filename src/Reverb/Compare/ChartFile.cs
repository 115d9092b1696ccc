namespace Reverb.Compare;

/// <summary>A chart written next to the report: its caption and file name (relative to the report).</summary>
internal sealed record ChartFile(string Caption, string FileName);
