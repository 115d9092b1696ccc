using System.Runtime.InteropServices;

namespace Reverb.Interop;

/// <summary>RLIMIT_NOFILE: a server that holds many connections raises its soft limit to the hard one, as daemons do.</summary>
internal static unsafe partial class DescriptorLimit
{
    private const int RLIMIT_NOFILE = 7;

    /// <summary>Raises the soft limit to the hard limit; returns the limit now in force.</summary>
    public static ulong RaiseToHardLimit()
    {
        RLimit limit;
        if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        {
            return 0;
        }

        if (limit.Current < limit.Maximum)
        {
            var raised = new RLimit { Current = limit.Maximum, Maximum = limit.Maximum };
            if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            {
                return raised.Current;
            }
        }

        return limit.Current;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int getrlimit(int resource, RLimit* limit);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int setrlimit(int resource, RLimit* limit);
}
