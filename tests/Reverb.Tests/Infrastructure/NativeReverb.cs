namespace Reverb.Tests.Infrastructure;

/// <summary>
/// The NativeAOT reverb binary, for tests of what ships it (the container image): REVERB_EXE when it
/// names one, else artifacts/aot/reverb as it is, published first (with the command CI and the README
/// use) only when it is missing. Not republished when present: the version embeds the commit, so every
/// commit would cost minutes of NativeAOT compilation; CI publishes before its test runs, and after a
/// change to the server a developer publishes again (or deletes artifacts/aot).
/// </summary>
public static class NativeReverb
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(15);
    private static readonly Lazy<Task<string>> Published = new(PublishAsync);

    /// <summary>Why no native binary can be had here (null when one can): for Skip.</summary>
    public static string? Unavailable()
    {
        if (Given() is not null)
        {
            return null;
        }

        if (RepositoryPaths.Root is not { } root)
        {
            return "the sources are not beside this test build, and REVERB_EXE names no NativeAOT binary";
        }

        if (IsElf(Path.Combine(root, "artifacts", "aot", "reverb")))
        {
            return null;
        }

        // As Reverb.csproj: NativeAOT links with clang, or Debian's clang-14.
        return File.Exists("/usr/bin/clang") || File.Exists("/usr/bin/clang-14")
            ? null
            : "publishing the NativeAOT binary needs clang: apt-get install clang zlib1g-dev (.ci/run installs it), or set REVERB_EXE to a NativeAOT reverb";
    }

    /// <summary>The binary's path; published first (once per test run) when REVERB_EXE names none and artifacts/aot/reverb is missing.</summary>
    public static Task<string> PathAsync() => Given() is { } given ? Task.FromResult(given) : Published.Value;

    private static string? Given() =>
        Environment.GetEnvironmentVariable("REVERB_EXE") is { Length: > 0 } path && IsElf(path) ? path : null;

    private static bool IsElf(string path)
    {
        try
        {
            using FileStream file = File.OpenRead(path);
            Span<byte> magic = stackalloc byte[4];
            return file.Read(magic) == 4 && magic.SequenceEqual("\u007FELF"u8);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task<string> PublishAsync()
    {
        string root = RepositoryPaths.Root ?? throw new InvalidOperationException("no repository beside this test build");
        string output = Path.Combine(root, "artifacts", "aot");
        if (IsElf(Path.Combine(output, "reverb")))
        {
            return Path.Combine(output, "reverb");
        }


        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string argument in (string[])["publish", Path.Combine(root, "src", "Reverb"), "-c", "Release", "-o", output])
        {
            start.ArgumentList.Add(argument);
        }

        // The test host runs under `dotnet test`: its MSBuild variables would steer this build too.
        foreach (string name in start.Environment.Keys.Where(name => name.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToArray())
        {
            start.Environment.Remove(name);
        }

        CommandResult publish = await ToolCommand.RunAsync(start, PublishTimeout);
        Assert.True(publish.ExitCode == 0, $"dotnet publish failed ({publish.ExitCode}):\n{publish.Stdout}\n{publish.Stderr}");
        return Path.Combine(output, "reverb");
    }
}
