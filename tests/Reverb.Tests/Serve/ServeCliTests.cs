using System.Net;
using System.Net.Sockets;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Serve;

/// <summary>Bad input gets one clear line and a non-zero exit, never a stack trace.</summary>
public sealed class ServeCliTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("abc", "'abc' is not a valid port")]
    [InlineData("70000", "'70000' is not a valid port")]
    [InlineData("-5", "unknown option '-5'")]
    public async Task A_bad_port_is_a_one_line_error(string port, string expected)
    {
        CommandResult result = await ReverbCommand.RunAsync(Timeout, "serve", port);
        AssertCleanError(result, expected, exitCode: 2);
    }

    [Fact]
    public async Task An_unknown_option_is_a_one_line_error()
    {
        CommandResult result = await ReverbCommand.RunAsync(Timeout, "serve", "7000", "--frobnicate");
        AssertCleanError(result, "--frobnicate", exitCode: 2);
    }

    [Theory]
    [InlineData("10.0.0.1/8", "did you mean 10.0.0.0/8?")]
    [InlineData("proxy.example", "'proxy.example' is not an address range")]
    public async Task A_bad_trusted_proxy_is_a_one_line_error(string range, string expected)
    {
        CommandResult result = await ReverbCommand.RunAsync(Timeout, "serve", "7000", "--proxy-protocol", "--trusted-proxy", range);
        AssertCleanError(result, expected, exitCode: 2);
    }

    [Fact]
    public async Task A_host_name_too_long_to_look_up_is_a_one_line_error()
    {
        // Refused by the resolver before any lookup (over 255 characters): no network traffic.
        CommandResult result = await ReverbCommand.RunAsync(Timeout, "serve", "7000", "--host", new string('a', 300));
        AssertCleanError(result, "not an IP address or a known host name", exitCode: 1);
    }

    [Fact]
    public async Task A_trusted_proxy_without_the_proxy_protocol_is_a_one_line_error()
    {
        CommandResult result = await ReverbCommand.RunAsync(new Dictionary<string, string> { ["REVERB_TRUSTED_PROXY"] = "10.0.0.0/8, ::1" }, Timeout, "serve", "7000");
        AssertCleanError(result, "--trusted-proxy applies only with --proxy-protocol", exitCode: 2);
    }

    [Fact]
    public async Task An_unknown_model_is_a_one_line_error()
    {
        CommandResult result = await ReverbCommand.RunAsync(Timeout, "serve", "7000", "--model", "fibers");
        AssertCleanError(result, "'fibers' is not a model", exitCode: 2);
    }

    [Fact]
    public async Task A_port_in_use_is_named()
    {
        using var squatter = new TakenPort();
        int port = squatter.Port;

        CommandResult result = await ReverbCommand.RunAsync(Timeout, "serve", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--host", "127.0.0.1");
        AssertCleanError(result, $"port {port} is already in use", exitCode: 1);
    }

    [Theory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task A_second_server_on_the_same_port_is_refused(string model)
    {
        // Neither SO_REUSEPORT (the workers model's own queues) nor .NET's ReuseAddress may let two servers share a port.
        await using var first = await ReverbServer.StartAsync(ServerModels.Arguments(model));
        string port = first.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        CommandResult second = await ReverbCommand.RunAsync(Timeout, ["serve", port, "--host", "127.0.0.1", .. ServerModels.Arguments(model)]);
        AssertCleanError(second, $"port {port} is already in use", exitCode: 1);
    }

    [SkippableFact]
    public async Task A_privileged_port_without_privileges_says_so_and_suggests_another()
    {
        // As root any port binds; run the same command as 'nobody' to see what a normal user sees.
        string[] command = ["serve", "7", "--host", "127.0.0.1"];
        CommandResult result;
        if (Signals.IsRoot)
        {
            Skip.IfNot(File.Exists("/usr/bin/setpriv"), "setpriv (util-linux) is needed to run the command as 'nobody'");

            var start = ReverbCommand.StartInfo(command);
            var asNobody = new System.Diagnostics.ProcessStartInfo("/usr/bin/setpriv")
            {
                UseShellExecute = false,
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            };
            foreach (string a in (string[])["--reuid=65534", "--regid=65534", "--clear-groups", "--", start.FileName, .. start.ArgumentList])
            {
                asNobody.ArgumentList.Add(a);
            }

            asNobody.Environment["DOTNET_CLI_HOME"] = "/tmp";
            asNobody.Environment["HOME"] = "/tmp";
            using var process = System.Diagnostics.Process.Start(asNobody)!;
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            using var cts = new CancellationTokenSource(Timeout);
            await process.WaitForExitAsync(cts.Token);
            result = new CommandResult(process.ExitCode, await stdout, await stderr);
            if (result.Stderr.Contains("Permission denied", StringComparison.Ordinal) && !result.Stderr.Contains("reverb:", StringComparison.Ordinal))
            {
                throw new SkipException("the test build is not readable by 'nobody' on this machine");
            }
        }
        else
        {
            result = await ReverbCommand.RunAsync(Timeout, command);
        }

        AssertCleanError(result, "port 7 needs root privileges", exitCode: 1);
        Assert.Contains("above 1024", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_explains_every_option()
    {
        CommandResult result = await ReverbCommand.RunAsync(Timeout, "serve", "--help");
        Assert.Equal(0, result.ExitCode);
        foreach (string option in (string[])["--host", "--model", "--workers", "--max-clients", "--idle-timeout", "--drain-timeout", "--verbose", "--udp", "--udp-rate"])
        {
            Assert.Contains(option, result.Stdout, StringComparison.Ordinal);
        }

        foreach (string model in (string[])["process", "workers", "threads", "async"])
        {
            Assert.Contains($"  {model}  ", result.Stdout, StringComparison.Ordinal);
        }

        CommandResult root = await ReverbCommand.RunAsync(Timeout, "--help");
        Assert.Equal(0, root.ExitCode);
        Assert.Contains("serve", root.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("worker ", root.Stdout, StringComparison.Ordinal);
    }

    private static void AssertCleanError(CommandResult result, string expected, int exitCode)
    {
        Assert.Equal(exitCode, result.ExitCode);
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
        Assert.StartsWith("reverb: ", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.Stderr, StringComparison.Ordinal);
        Assert.True(result.Stderr.Trim().Split('\n').Length <= 2, $"expected one line (and a hint), got:\n{result.Stderr}");
    }
}
