using System.Diagnostics;

namespace Reverb.Hosting;

/// <summary>How to start this same reverb program again: the NativeAOT binary, or reverb.dll under dotnet.</summary>
internal sealed record ReverbSelf(string Executable, IReadOnlyList<string> LeadingArguments)
{
    public static ReverbSelf Current()
    {
        string path = Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the reverb executable");

        // Under 'dotnet reverb.dll' the process is the dotnet host: hand it the assembly again.
        return Path.GetFileNameWithoutExtension(path) == "dotnet"
            ? new ReverbSelf(path, [Path.Combine(AppContext.BaseDirectory, "reverb.dll")])
            : new ReverbSelf(path, []);
    }

    public ProcessStartInfo StartInfo(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(Executable) { UseShellExecute = false };
        foreach (string argument in LeadingArguments.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        return start;
    }
}
