using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Upgrade;

/// <summary>
/// SIGUSR2 upgrades the server in place (a new master from the executable file now on disk takes
/// over the listening sockets) and SIGHUP reloads it (new serving processes replace the old ones),
/// under load from <c>reverb bench</c> with verified echoes: no connection refused, no echo wrong,
/// no client dropped; the old clients finish on their old processes; new ones go to the new.
/// </summary>
public sealed partial class UpgradeTests
{
    private const int SIGHUP = 1;
    private const int SIGUSR2 = 12;
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Load = TimeSpan.FromSeconds(10);

    [Theory]
    [InlineData("process")]
    [InlineData("workers")]
    public async Task SIGUSR2_hands_the_sockets_to_a_new_master_from_the_new_file_and_drops_no_client(string model)
    {
        using var copy = new ReverbCopy();
        using var control = new ControlDirectory();
        int newMaster = 0;
        await using var server = await ReverbServer.StartFromAsync(copy.StartInfo(control.Environment, ["serve", "0", "--host", "127.0.0.1", "--udp", "--metrics", "127.0.0.1:0", .. ServerModels.Arguments(model)]));
        try
        {
            using var held = await EchoClient.ConnectAsync(server);
            Assert.Equal("before"u8.ToArray(), await held.RoundTripAsync("before"u8.ToArray()));
            int oldProcess = await server.WorkerServingAsync(held.LocalPort, Step);

            BenchLoad load = await StartLoadAsync(server);
            copy.ReplaceWithFreshCopy();
            server.Signal(SIGUSR2);

            // A second one while the first is under way is refused (sent once the first is seen: signals do not queue).
            await server.WaitForLineAsync("SIGUSR2: upgrade: starting a new master from ", Step);
            server.Signal(SIGUSR2);
            newMaster = int.Parse(NewMaster().Match(await server.WaitForLineAsync("upgrade: new master ", Step)).Groups[1].Value, CultureInfo.InvariantCulture);
            await server.WaitForLineAsync($"this master (pid {newMaster}) now serves alone", Step);
            await server.WaitForLineAsync("SIGUSR2: upgrade refused: ", Step);
            Assert.True(load.Running, "the bench load ended before the handover: the machine is too slow for this test's timing");
            Assert.Contains($"listening on 127.0.0.1:{server.Port} (model {model}, pid {newMaster};", server.Log, StringComparison.Ordinal);

            // The client from before: still echoed, by its process under the old master.
            Assert.Equal("after"u8.ToArray(), await held.RoundTripAsync("after"u8.ToArray()));
            Assert.True(IsUnder(oldProcess, server.Pid), $"{oldProcess} is not under the old master {server.Pid}");

            // A new client (TCP and UDP) is the new master's; so is the status socket.
            Assert.True(await ServedByAsync(server, process => IsUnder(process, newMaster)), $"no new client went to the new master {newMaster}");
            await AssertUdpEchoAsync(server.Port);
            using (var http = new HttpClient { Timeout = Step })
            {
                // The metrics endpoint's socket was handed down too: the new master answers on it.
                string url = MetricsUrl().Match(server.Log).Groups[1].Value;
                Assert.Contains("reverb_", await http.GetStringAsync(url), StringComparison.Ordinal);
            }

            CommandResult status = await ReverbCommand.RunAsync(control.Environment, Step, "status", "--json");
            Assert.True(status.ExitCode == 0, status.Stderr);
            Assert.Equal(newMaster, JsonDocument.Parse(status.Stdout).RootElement.GetProperty("pid").GetInt32());

            await load.AssertNothingLostAsync();
            held.Dispose();
            Assert.Equal(0, await server.WaitForOwnExitAsync(Step));
            Assert.Contains($"upgrade: old master {server.Pid} exits: its clients have finished; master {newMaster} serves", server.Log, StringComparison.Ordinal);
            Assert.True(ProcessTable.IsAlive(newMaster));
            using var after = await EchoClient.ConnectAsync(server);
            Assert.Equal("still"u8.ToArray(), await after.RoundTripAsync("still"u8.ToArray()));
        }
        finally
        {
            KillTree(newMaster);
        }
    }

    [Theory]
    [InlineData("process", "forking process")]
    [InlineData("workers", "worker")]
    public async Task SIGHUP_replaces_the_serving_processes_and_drops_no_client(string model, string role)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model));
        using var held = await EchoClient.ConnectAsync(server);
        Assert.Equal("before"u8.ToArray(), await held.RoundTripAsync("before"u8.ToArray()));
        int oldProcess = await server.WorkerServingAsync(held.LocalPort, Step);
        int[] before = [.. server.Children().Select(c => c.Pid)];

        // What a reload replaces: the forking process (the client's process's parent), or the worker itself.
        int retiring = model == "process" ? ProcessTable.TryRead(oldProcess)!.ParentPid : oldProcess;
        Assert.Contains(retiring, before);

        BenchLoad load = await StartLoadAsync(server);
        server.Signal(SIGHUP);
        await server.WaitForLineAsync("reload done: ", Step);
        Assert.Contains($"reload: {role} ", server.Log, StringComparison.Ordinal);
        Assert.Contains(" replaced by ", server.Log, StringComparison.Ordinal);

        // The client from before goes on with its process; a new one is served by a new process.
        Assert.Equal("after"u8.ToArray(), await held.RoundTripAsync("after"u8.ToArray()));
        Assert.True(ProcessTable.IsAlive(oldProcess));
        bool NotBefore(int process) => !before.Contains(model == "process" ? ProcessTable.TryRead(process)?.ParentPid ?? 0 : process);
        Assert.True(await ServedByAsync(server, NotBefore), "no new client went to a new process");

        await load.AssertNothingLostAsync();
        held.Dispose();
        await server.WaitForLineAsync($"reload: retired {role} {retiring} has exited (exit code 0)", Step);
        Assert.DoesNotContain(server.Lines, l => l.Contains("died", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Under_systemd_the_old_master_names_the_new_main_pid_and_the_new_one_keeps_the_watchdog()
    {
        using var copy = new ReverbCopy();
        using var control = new ControlDirectory();
        using var notify = new NotifySocket();
        var environment = new Dictionary<string, string>(control.Environment) { ["NOTIFY_SOCKET"] = notify.Address, ["WATCHDOG_USEC"] = "1000000" };
        int newMaster = 0;
        await using var server = await ReverbServer.StartFromAsync(copy.StartInfo(environment, "serve", "0", "--host", "127.0.0.1", "--model", "async"));
        try
        {
            await notify.WaitForAsync("READY=1", Step);
            server.Signal(SIGUSR2);
            newMaster = int.Parse(NewMaster().Match(await server.WaitForLineAsync("upgrade: new master ", Step)).Groups[1].Value, CultureInfo.InvariantCulture);
            string handover = await notify.WaitForAsync($"MAINPID={newMaster}", Step);
            Assert.Contains("STATUS=upgraded: new master", handover, StringComparison.Ordinal);

            // No client: the old master exits at once, and says nothing more (no STOPPING=1: the service goes on).
            Assert.Equal(0, await server.WaitForOwnExitAsync(Step));
            notify.DiscardWaiting();
            string next = await notify.WaitForAsync("WATCHDOG=1", Step);
            Assert.DoesNotContain("STOPPING=1", next, StringComparison.Ordinal);
            Assert.True(ProcessTable.IsAlive(newMaster));
        }
        finally
        {
            KillTree(newMaster);
        }
    }

    [Fact]
    public async Task A_new_master_that_cannot_start_leaves_the_old_one_serving()
    {
        using var copy = new ReverbCopy();
        using var control = new ControlDirectory();
        await using var server = await ReverbServer.StartFromAsync(copy.StartInfo(control.Environment, "serve", "0", "--host", "127.0.0.1"));
        using var held = await EchoClient.ConnectAsync(server);
        Assert.Equal("a"u8.ToArray(), await held.RoundTripAsync("a"u8.ToArray()));

        // Not an executable (or an assembly) at all: the new master fails at once.
        copy.Replace("#!/bin/sh\nexit 3\n"u8.ToArray());
        server.Signal(SIGUSR2);
        await server.WaitForLineAsync("upgrade failed: ", Step);
        Assert.Contains("this master (pid " + server.Pid.ToString(CultureInfo.InvariantCulture) + ") goes on serving", server.Log, StringComparison.Ordinal);

        Assert.Equal("b"u8.ToArray(), await held.RoundTripAsync("b"u8.ToArray()));
        using var fresh = await EchoClient.ConnectAsync(server);
        Assert.Equal("c"u8.ToArray(), await fresh.RoundTripAsync("c"u8.ToArray()));
        Assert.True(File.Exists(control.SocketFor(server.Port)));
        Assert.DoesNotContain(ProcessTable.ChildrenOf(server.Pid), c => c.CommandLine.Contains(" serve ", StringComparison.Ordinal));
    }

    /// <summary>
    /// Whether a new client, within a few, is served by a process <paramref name="wanted"/> accepts
    /// (one may still reach a retired process if it accepted before it read its retirement).
    /// </summary>
    private static async Task<bool> ServedByAsync(ReverbServer server, Func<int, bool> wanted)
    {
        for (int attempt = 0; attempt < 10; attempt++)
        {
            using var client = await EchoClient.ConnectAsync(server);
            Assert.Equal("new"u8.ToArray(), await client.RoundTripAsync("new"u8.ToArray()));
            if (wanted(await server.WorkerServingAsync(client.LocalPort, Step)))
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }

    /// <summary>Starts the bench runs and returns once the server has accepted their first connections.</summary>
    private static async Task<BenchLoad> StartLoadAsync(ReverbServer server)
    {
        int from = server.LineCount;
        BenchLoad load = BenchLoad.Start(server.Port, Load);
        // bench spreads its connections over several loopback source addresses.
        await server.WaitForLineAsync("accepted 127.0.0.", Step, skip: 8, after: from);
        return load;
    }

    private static async Task AssertUdpEchoAsync(int port)
    {
        using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        using var deadline = new CancellationTokenSource(Step);
        await udp.SendAsync("datagram"u8.ToArray(), new IPEndPoint(IPAddress.Loopback, port), deadline.Token);
        UdpReceiveResult reply = await udp.ReceiveAsync(deadline.Token);
        Assert.Equal("datagram"u8.ToArray(), reply.Buffer);
    }

    /// <summary>Whether <paramref name="ancestor"/> is <paramref name="pid"/>'s parent, grandparent or great-grandparent.</summary>
    private static bool IsUnder(int pid, int ancestor)
    {
        for (int i = 0, current = pid; i < 3; i++)
        {
            current = ProcessTable.TryRead(current)?.ParentPid ?? 0;
            if (current == ancestor)
            {
                return true;
            }
        }

        return false;
    }

    private static void KillTree(int pid)
    {
        if (pid <= 0)
        {
            return;
        }

        foreach (ProcessTable.Entry child in ProcessTable.DescendantsOf(pid))
        {
            Signals.Send(child.Pid, Signals.SIGKILL);
        }

        Signals.Send(pid, Signals.SIGKILL);
    }

    [GeneratedRegex(@"metrics on (http://\S+/metrics)")]
    private static partial Regex MetricsUrl();

    [GeneratedRegex(@"upgrade: new master (\d+) is ready")]
    private static partial Regex NewMaster();
}
