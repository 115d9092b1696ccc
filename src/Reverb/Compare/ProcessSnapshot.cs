namespace Reverb.Compare;

/// <summary>One process as /proc shows it at one moment: what the tree sums need.</summary>
internal sealed record ProcessSnapshot(int Pid, int ParentPid, long OwnCpuTicks, long ReapedChildrenCpuTicks, int Threads, long RssBytes)
{
    /// <summary>
    /// Parses /proc/PID/stat. The command name (field 2) may hold spaces and parentheses, so fields are counted
    /// from the last ')'.
    /// </summary>
    public static ProcessSnapshot? Parse(int pid, string stat)
    {
        ArgumentNullException.ThrowIfNull(stat);
        int close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        // After ')' come field 3 (state) onwards; field n is at index n - 3.
        string[] fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 22)
        {
            return null;
        }

        return new ProcessSnapshot(
            pid,
            int.Parse(fields[4 - 3], System.Globalization.CultureInfo.InvariantCulture),
            Field(fields, 14) + Field(fields, 15),
            Field(fields, 16) + Field(fields, 17),
            (int)Field(fields, 20),
            Field(fields, 24) * Environment.SystemPageSize);
    }

    private static long Field(string[] fields, int number) =>
        long.Parse(fields[number - 3], System.Globalization.CultureInfo.InvariantCulture);
}
