using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Serve;

/// <summary>systemd socket activation, driven by systemd-socket-activate as systemd itself would.</summary>
public sealed class SocketActivationTests
{
    internal const string Activator = "/usr/bin/systemd-socket-activate";

    [SkippableTheory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task Accept_no_serves_the_passed_listening_socket_in_every_model(string model)
    {
        Skip.IfNot(File.Exists(Activator), $"{Activator} is needed: apt-get install systemd (.ci/run installs it)");
        int port = OneShotExchange.FreeTcpPort();
        await using var server = await ReverbServer.StartUnderAsync([Activator, "-l", $"127.0.0.1:{port}"], ServerModels.Arguments(model));
        Assert.Equal(port, server.Port);

        // The first client connects before reverb even runs: the activator starts it then, and the connection waits in the queue.
        using var client = await EchoClient.ConnectAsync(server);
        byte[] data = Payloads.Random(50_000);
        Assert.Equal(data, await client.RoundTripAsync(data));
        await server.WaitForLineAsync("passed by the service manager (LISTEN_FDS)", EchoClient.Timeout);
        await server.WaitForLineAsync($"listening on 127.0.0.1:{port} ", EchoClient.Timeout);

        // Workers must not inherit the passed descriptor or the variables that describe it; the process
        // model's forking process holds the listening socket (it accepts on it) but not the variables.
        foreach (ProcessTable.Entry worker in server.Descendants())
        {
            bool accepts = worker.CommandLine.Contains(" forker ", StringComparison.Ordinal);
            Assert.False(!accepts && File.Exists($"/proc/{worker.Pid}/fd/3") && new FileInfo($"/proc/{worker.Pid}/fd/3").LinkTarget == new FileInfo($"/proc/{server.Pid}/fd/3").LinkTarget);
            Assert.DoesNotContain("LISTEN_FDS=", File.ReadAllText($"/proc/{worker.Pid}/environ"), StringComparison.Ordinal);
        }
    }

    [SkippableTheory]
    [InlineData("process")]
    [InlineData("async")]
    public async Task A_Unix_domain_socket_is_refused_at_start_in_one_line(string model)
    {
        Skip.IfNot(File.Exists(Activator), $"{Activator} is needed: apt-get install systemd (.ci/run installs it)");
        string directory = Directory.CreateTempSubdirectory("reverb-unix-").FullName;
        string path = Path.Combine(directory, "r.sock");
        try
        {
            await using var server = await ReverbServer.StartUnderAsync([Activator, "-l", path], ServerModels.Arguments(model));

            // The activator runs reverb at the first connection.
            using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            await client.ConnectAsync(new UnixDomainSocketEndPoint(path));
            string line = await AssertRefusedAtStartAsync(server, "reverb: socket activation passed a Unix-domain socket");
            Assert.Contains(path, line, StringComparison.Ordinal);
            Assert.EndsWith("reverb serves TCP and UDP only", line, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// reverb exits 1 before serving anything, having said why in the one line that starts with
    /// <paramref name="start"/> (no stack trace); returns that line.
    /// </summary>
    internal static async Task<string> AssertRefusedAtStartAsync(ReverbServer server, string start)
    {
        Assert.Equal(1, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        string line = await server.WaitForLineAsync(start, EchoClient.Timeout);
        Assert.StartsWith(start, line, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.Contains("Exception", StringComparison.Ordinal));
        Assert.DoesNotContain(server.Lines, l => l.Contains("listening on", StringComparison.Ordinal) && !l.Contains("Listening on", StringComparison.Ordinal));
        return line;
    }

    [SkippableFact]
    public async Task The_shipped_reverb_service_serves_its_socket_and_stops_cleanly()
    {
        Skip.IfNot(File.Exists(Activator), $"{Activator} is needed: apt-get install systemd (.ci/run installs it)");
        int port = OneShotExchange.FreeTcpPort();
        await using var server = await ReverbServer.StartUnderAsync([Activator, "-l", $"127.0.0.1:{port}"], Deploy.SystemdUnitTests.ExecStartArguments("reverb.service")[1..]);
        using var client = await EchoClient.ConnectAsync(server);
        Assert.Equal("unit"u8.ToArray(), await client.RoundTripAsync("unit"u8.ToArray()));
        client.Socket.Shutdown(SocketShutdown.Send);
        await client.ReadToEndAsync(EchoClient.Timeout);
        await server.WaitForLineAsync("listening on", EchoClient.Timeout, skip: 0);

        // KillMode=mixed: SIGTERM to the main process only.
        server.Signal(Signals.SIGTERM);
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }

    [SkippableFact]
    public async Task Accept_yes_serves_each_connection_in_its_own_process_with_inetd()
    {
        Skip.IfNot(File.Exists(Activator), $"{Activator} is needed: apt-get install systemd (.ci/run installs it)");
        int port = OneShotExchange.FreeTcpPort();

        // The arguments of the shipped reverb@.service.
        ProcessStartInfo reverb = ReverbCommand.StartInfo(Deploy.SystemdUnitTests.ExecStartArguments("reverb@.service"));
        var start = new ProcessStartInfo(Activator) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string argument in (string[])["-l", $"127.0.0.1:{port}", "--accept", "--inetd", reverb.FileName, .. reverb.ArgumentList])
        {
            start.ArgumentList.Add(argument);
        }

        using var activator = Process.Start(start)!;
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        activator.ErrorDataReceived += (_, e) => log.Enqueue(e.Data ?? string.Empty);
        activator.BeginErrorReadLine();
        try
        {
            await Eventually.AssertAsync(() => log.Any(l => l.Contains("Listening on", StringComparison.Ordinal)), TimeSpan.FromSeconds(30), "the activator listens");
            for (int i = 0; i < 2; i++)
            {
                byte[] data = Payloads.Random(200_000 + i, seed: i);
                Assert.Equal(data, (await OneShotExchange.RunAsync(new IPEndPoint(IPAddress.Loopback, port), data, TimeSpan.FromSeconds(60))).Echoed);
            }

            // Each connection had its own reverb process, which logged to standard error and exited 0.
            await Eventually.AssertAsync(() => log.Count(l => l.Contains("died with code 0", StringComparison.Ordinal)) == 2, TimeSpan.FromSeconds(30), "both per-connection processes exit 0");
            Assert.Equal(2, log.Count(l => l.Contains("client closed", StringComparison.Ordinal)));
        }
        finally
        {
            activator.Kill(entireProcessTree: true);
        }
    }
}
