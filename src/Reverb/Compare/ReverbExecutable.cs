using System.Diagnostics;

namespace Reverb.Compare;

/// <summary>Starts this same reverb executable (the NativeAOT binary, or reverb.dll under dotnet) with other arguments.</summary>
internal static class ReverbExecutable
{
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        string path = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this executable is unknown");
        var start = new ProcessStartInfo(path);
        if (Path.GetFileNameWithoutExtension(path) == "dotnet")
        {
            // Under the JIT the process is dotnet itself; the app is the reverb.dll beside this code.
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "reverb.dll"));
        }

        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return Quiet(start);
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
