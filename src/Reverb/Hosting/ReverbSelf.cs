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

    /// <summary>
    /// As <see cref="Current"/>, but the NativeAOT binary by the path it was started from (argv[0]),
    /// not the file that runs (/proc/self/exe): an upgrade starts what has been put at that path since
    /// (a new file, or a link moved to a new version). Call it at start, before anything changes the directory.
    /// </summary>
    public static ReverbSelf AsStarted()
    {
        ReverbSelf current = Current();
        string? started = Environment.GetCommandLineArgs().FirstOrDefault();
        return current.LeadingArguments.Count == 0 && started is { Length: > 0 } && started.Contains('/')
            ? new ReverbSelf(Path.GetFullPath(started), [])
            : current;
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
