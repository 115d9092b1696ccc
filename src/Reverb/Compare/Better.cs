namespace Reverb.Compare;

/// <summary>Which way a figure improves, so a table can mark its best value.</summary>
internal enum Better
{
    Higher,
    Lower,
}
