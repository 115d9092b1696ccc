using System.Diagnostics;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Deploy;

/// <summary>The shipped systemd units parse, and their ExecStart lines are valid reverb commands.</summary>
public sealed class SystemdUnitTests
{
    public static string DeployFolder
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "deploy")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("no deploy/ folder above the tests"), "deploy");
        }
    }

    /// <summary>The arguments after "reverb" on the unit's ExecStart line.</summary>
    public static string[] ExecStartArguments(string unit)
    {
        string line = File.ReadLines(Path.Combine(DeployFolder, unit)).Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal));
        return line["ExecStart=".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..];
    }

    [SkippableFact]
    public async Task Units_pass_systemd_analyze_verify()
    {
        Skip.IfNot(File.Exists("/usr/bin/systemd-analyze"), "systemd-analyze is needed: apt-get install systemd (.ci/run installs it)");

        // Point ExecStart at the reverb under test, which systemd-analyze checks is executable.
        string folder = Directory.CreateTempSubdirectory("reverb-units").FullName;
        string wrapper = Path.Combine(folder, "reverb");
        ProcessStartInfo reverb = ReverbCommand.StartInfo([]);
        await File.WriteAllTextAsync(wrapper, $"#!/bin/sh\nexec {reverb.FileName} {string.Join(' ', reverb.ArgumentList)} \"$@\"\n");
        File.SetUnixFileMode(wrapper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (string unit in (string[])["reverb.socket", "reverb.service", "reverb@.service"])
        {
            string text = await File.ReadAllTextAsync(Path.Combine(DeployFolder, unit));
            await File.WriteAllTextAsync(Path.Combine(folder, unit), text.Replace("/usr/local/bin/reverb", wrapper, StringComparison.Ordinal));
        }

        File.Copy(Path.Combine(folder, "reverb@.service"), Path.Combine(folder, "reverb@1.service"));
        var verify = new ProcessStartInfo("/usr/bin/systemd-analyze") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = folder };
        foreach (string argument in (string[])["verify", "--man=no", "reverb.socket", "reverb.service", "reverb@1.service"])
        {
            verify.ArgumentList.Add(argument);
        }

        using var process = Process.Start(verify)!;
        string output = await process.StandardError.ReadToEndAsync() + await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        Assert.True(process.ExitCode == 0 && output.Trim().Length == 0, output);
        Directory.Delete(folder, recursive: true);
    }

    [Theory]
    [InlineData("reverb.service")]
    [InlineData("reverb@.service")]
    public async Task ExecStart_is_a_valid_reverb_command(string unit)
    {
        string[] arguments = ExecStartArguments(unit);
        Assert.Equal("serve", arguments[0]);

        // Parsing succeeds when --help is honoured rather than an error reported.
        CommandResult result = await ReverbCommand.RunAsync(TimeSpan.FromSeconds(60), [.. arguments, "--help"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(string.Empty, result.Stderr);
    }
}
