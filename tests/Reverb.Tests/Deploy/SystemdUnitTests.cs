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

    [Fact]
    public async Task The_Type_notify_service_reports_ready_with_its_own_arguments()
    {
        string unit = await File.ReadAllTextAsync(Path.Combine(DeployFolder, "reverb.service"));
        Assert.Contains("\nType=notify\n", unit, StringComparison.Ordinal);
        Assert.Contains("\nWatchdogSec=30s\n", unit, StringComparison.Ordinal);

        // As systemd starts it: NOTIFY_SOCKET, and WATCHDOG_USEC from WatchdogSec=30s.
        using var notify = new NotifySocket();
        var environment = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify.Address, ["WATCHDOG_USEC"] = "30000000" };
        await using var server = ReverbServer.Launch(environment, ExecStartArguments("reverb.service")[1..]);
        await notify.WaitForAsync("READY=1", TimeSpan.FromSeconds(60));
        using var client = await EchoClient.ConnectAsync(server);
        Assert.Equal("up"u8.ToArray(), await client.RoundTripAsync("up"u8.ToArray()));
        await server.WaitForLineAsync("told systemd we are ready (NOTIFY_SOCKET); watchdog pings every 5 s", TimeSpan.FromSeconds(60));
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
