using System.Globalization;

namespace Reverb.Tests.Infrastructure;

/// <summary>Reads /proc: which processes exist, their parent and state, and their command lines.</summary>
public static class ProcessTable
{
    public sealed record Entry(int Pid, int ParentPid, char State, string CommandLine);

    public static IReadOnlyList<Entry> All()
    {
        var entries = new List<Entry>();
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out int pid) && TryRead(pid) is { } entry)
            {
                entries.Add(entry);
            }
        }

        return entries;
    }

    public static IReadOnlyList<Entry> ChildrenOf(int pid) => [.. All().Where(e => e.ParentPid == pid)];

    /// <summary>Children, grandchildren and so on (the process model's clients are the master's grandchildren).</summary>
    public static IReadOnlyList<Entry> DescendantsOf(int pid)
    {
        IReadOnlyList<Entry> all = All();
        var found = new List<Entry>();
        var parents = new HashSet<int> { pid };
        bool grew = true;
        while (grew)
        {
            grew = false;
            foreach (Entry entry in all)
            {
                if (parents.Contains(entry.ParentPid) && parents.Add(entry.Pid))
                {
                    found.Add(entry);
                    grew = true;
                }
            }
        }

        return found;
    }

    public static Entry? TryRead(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");

            // The command name is in parentheses and may contain spaces: parse after the last ')'.
            string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            string cmdline = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
            return new Entry(pid, int.Parse(rest[1], CultureInfo.InvariantCulture), rest[0][0], cmdline);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>True while the process exists and is not a zombie.</summary>
    public static bool IsAlive(int pid) => TryRead(pid) is { State: not 'Z' and not 'X' };

    public static long RssKilobytes(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }
}
