using System.Runtime.InteropServices;

namespace Reverb.Bench;

/// <summary>
/// Raises the process's open-file limit (RLIMIT_NOFILE) so the idle workload can hold more connections than the
/// usual soft limit of 1024 allows. Only the soft limit can be raised, and only up to the hard limit.
/// </summary>
internal static partial class FileDescriptorLimit
{
    private const int ResourceNoFile = 7; // RLIMIT_NOFILE on Linux

    /// <summary>Raises the soft limit towards <paramref name="wanted"/>; returns the limit now in force (null if unknown).</summary>
    public static ulong? RaiseTo(ulong wanted)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        if (GetLimit(ResourceNoFile, out ResourceLimit limit) != 0)
        {
            return null;
        }

        if (limit.Current >= wanted)
        {
            return limit.Current;
        }

        var raised = limit with { Current = Math.Min(wanted, limit.Maximum) };
        return SetLimit(ResourceNoFile, ref raised) == 0 ? raised.Current : limit.Current;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetLimit(int resource, out ResourceLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetLimit(int resource, ref ResourceLimit limit);

    [StructLayout(LayoutKind.Sequential)]
    private record struct ResourceLimit(ulong Current, ulong Maximum);
}
