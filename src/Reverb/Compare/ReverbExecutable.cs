using System.Diagnostics;
using Reverb.Hosting;

namespace Reverb.Compare;

/// <summary>Starts this same reverb executable (the NativeAOT binary, or reverb.dll under dotnet) with other arguments.</summary>
internal static class ReverbExecutable
{
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        return Quiet(ReverbSelf.Current().StartInfo(arguments));
    }

    /// <summary>Output is read (and mostly dropped) by us, never shown on the user's terminal.</summary>
    public static ProcessStartInfo Quiet(ProcessStartInfo start)
    {
        ArgumentNullException.ThrowIfNull(start);
        start.UseShellExecute = false;
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        return start;
    }
}
