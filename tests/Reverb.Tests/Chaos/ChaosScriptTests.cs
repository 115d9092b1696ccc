using System.Diagnostics;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Chaos;

/// <summary>
/// bench/chaos.sh against the reverb this test run uses: random SIGKILLs of the server's non-master processes under
/// verified load, then SIGTERM of the master. The script itself fails on a wrong echo, a zombie left unreaped or a
/// process left behind; the test asserts it passed and really killed something.
/// </summary>
public sealed class ChaosScriptTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    [SkippableTheory]
    [InlineData("workers")]
    [InlineData("process")]
    public async Task Killing_server_processes_under_load_loses_connections_but_no_bytes_and_leaves_nothing(string model)
    {
        string? root = RepositoryPaths.Root;
        Skip.If(root is null || !File.Exists(Path.Combine(root, "bench", "chaos.sh")), "bench/chaos.sh is not beside this test build");
        Skip.IfNot(File.Exists("/bin/bash") && File.Exists("/usr/bin/awk") && File.Exists("/usr/bin/ss"), "bash, awk and ss are needed");

        var start = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { Path.Combine(root!, "bench", "chaos.sh"), model, "10" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["REVERB"] = ReverbCommandLine();

        // The suite runs beside other tests on two cores, where a reaper can be a few seconds late; a zombie
        // left longer is still a failure. bench runs keep the script's 1 s.
        start.Environment["ZOMBIE_GRACE_MS"] = "5000";
        CommandResult script = await ToolCommand.RunAsync(start, Limit);
        string output = script.Stdout + script.Stderr;
        Assert.True(script.ExitCode == 0, $"exit {script.ExitCode}:\n{output}");
        Assert.Contains($"RESULT chaos=ok model={model}", output, StringComparison.Ordinal);
        Assert.Matches(@"kills=[1-9]", output); // the chaos happened
        Assert.Contains("mismatches=0 zombies=0 leftovers=0", output, StringComparison.Ordinal);
    }

    /// <summary>The reverb the other tests start (REVERB_EXE, else the built reverb.dll under dotnet), as the script's REVERB.</summary>
    private static string ReverbCommandLine() =>
        Environment.GetEnvironmentVariable("REVERB_EXE") is { Length: > 0 } native
            ? native
            : $"dotnet {Path.Combine(AppContext.BaseDirectory, "reverb.dll")}";
}
