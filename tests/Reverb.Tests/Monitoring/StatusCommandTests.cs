using System.Text.Json;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Monitoring;

/// <summary><c>reverb status</c> against real servers: what it shows, where it asks, and who may ask.</summary>
public sealed class StatusCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task Status_lists_the_master_its_workers_and_each_client_with_its_bytes(string model)
    {
        using var control = new ControlDirectory();
        await using var server = await ReverbServer.StartAsync(control.Environment, ServerModels.Arguments(model));
        using var talker = await EchoClient.ConnectAsync(server);
        using var quiet = await EchoClient.ConnectAsync(server);
        await talker.RoundTripAsync("hello"u8.ToArray());
        await server.WaitForLineAsync($"accepted 127.0.0.1:{quiet.LocalPort}", Timeout);

        CommandResult result = await ReverbCommand.RunAsync(control.Environment, Timeout, "status", "--port", $"{server.Port}", "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        using JsonDocument document = JsonDocument.Parse(result.Stdout);
        JsonElement root = document.RootElement;
        Assert.Equal(server.Pid, root.GetProperty("pid").GetInt32());
        Assert.Equal(model, root.GetProperty("model").GetString());
        Assert.Equal("serving", root.GetProperty("state").GetString());
        Assert.Equal($"127.0.0.1:{server.Port}", root.GetProperty("listening")[0].GetString());

        JsonElement[] processes = [.. root.GetProperty("processes").EnumerateArray()];
        Assert.Equal("master", processes[0].GetProperty("role").GetString());
        Assert.Equal(server.Pid, processes[0].GetProperty("pid").GetInt32());
        JsonElement talkerRow = ClientRow(processes, talker.LocalPort, out JsonElement talkerProcess);
        ClientRow(processes, quiet.LocalPort, out _);
        Assert.Equal(5, talkerRow.GetProperty("bytesIn").GetInt64());
        Assert.Equal(5, talkerRow.GetProperty("bytesOut").GetInt64());
        Assert.True(DateTimeOffset.UtcNow - talkerRow.GetProperty("since").GetDateTimeOffset() < Timeout);
        if (model is "process" or "workers")
        {
            // Served by a worker process which status names by pid: a child of the master (workers), or of the forking process (process).
            Assert.Equal("worker", talkerProcess.GetProperty("role").GetString());
            int parent = talkerProcess.GetProperty("parentPid").GetInt32();
            Assert.Equal(parent, ProcessTable.TryRead(talkerProcess.GetProperty("pid").GetInt32())?.ParentPid);
            Assert.Contains(server.Descendants(), child => child.Pid == talkerProcess.GetProperty("pid").GetInt32());
            if (model == "process")
            {
                JsonElement forker = processes.Single(p => p.GetProperty("role").GetString() == "forker");
                Assert.Equal(forker.GetProperty("pid").GetInt32(), parent);
                Assert.Equal(server.Pid, forker.GetProperty("parentPid").GetInt32());
            }
            else
            {
                Assert.Equal(server.Pid, parent);
            }
        }

        JsonElement totals = root.GetProperty("totals");
        Assert.Equal(2, totals.GetProperty("accepted").GetInt64());
        Assert.Equal(2, totals.GetProperty("active").GetInt64());
        Assert.Equal(5, totals.GetProperty("bytesIn").GetInt64());
        Assert.Equal(5, totals.GetProperty("bytesOut").GetInt64());
    }

    [Fact]
    public async Task Status_prints_a_table_and_totals_and_finds_the_only_server_without_a_port()
    {
        using var control = new ControlDirectory();
        await using var server = await ReverbServer.StartAsync(control.Environment, ServerModels.Arguments("process"));
        using (var client = await EchoClient.ConnectAsync(server))
        {
            await client.RoundTripAsync(new byte[1000]);
            await Eventually.AssertAsync(() => server.Log.Contains($"accepted 127.0.0.1:{client.LocalPort}", StringComparison.Ordinal), Timeout, "the client is handed over");

            CommandResult result = await ReverbCommand.RunAsync(control.Environment, Timeout, "status");

            Assert.True(result.ExitCode == 0, result.Stderr);
            Assert.Contains($"reverb (pid {server.Pid}, model process) serving on 127.0.0.1:{server.Port}", result.Stdout, StringComparison.Ordinal);
            foreach (string column in (string[])["PID", "PPID", "ROLE", "STATE", "CLIENT", "BYTES IN", "BYTES OUT", "CONNECTED SINCE"])
            {
                Assert.Contains(column, result.Stdout, StringComparison.Ordinal);
            }

            Assert.Contains($"127.0.0.1:{client.LocalPort}", result.Stdout, StringComparison.Ordinal);
            Assert.Contains("1,000", result.Stdout, StringComparison.Ordinal);
            Assert.Contains("connections: 1 accepted, 1 active", result.Stdout, StringComparison.Ordinal);
            Assert.Contains("1 busy", result.Stdout, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_status_socket_is_reachable_only_by_its_owner_and_goes_away_with_the_server()
    {
        using var control = new ControlDirectory();
        await using var server = await ReverbServer.StartAsync(control.Environment, "--model", "async");
        string socket = control.SocketFor(server.Port);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(control.Path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));

        server.Signal(Signals.SIGTERM);
        Assert.Equal(0, await server.WaitForExitAsync(Timeout));
        Assert.False(File.Exists(socket), "the status socket is removed on shutdown");
    }

    [Fact]
    public async Task While_draining_status_still_answers_and_says_so()
    {
        using var control = new ControlDirectory();
        await using var server = await ReverbServer.StartAsync(control.Environment, ServerModels.Arguments("workers", "--drain-timeout", "60s"));
        using var client = await EchoClient.ConnectAsync(server);
        await client.RoundTripAsync("stay"u8.ToArray());

        // The open client keeps the server draining for up to a minute.
        server.Signal(Signals.SIGTERM);
        string state = string.Empty;
        await Eventually.AssertAsync(
            async () =>
            {
                CommandResult result = await ReverbCommand.RunAsync(control.Environment, Timeout, "status", "--json");
                state = result.ExitCode == 0 ? JsonDocument.Parse(result.Stdout).RootElement.GetProperty("state").GetString() ?? string.Empty : result.Stderr;
                return state == "draining";
            },
            Timeout,
            "status reports draining");

        client.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        Assert.Equal(0, await server.WaitForExitAsync(Timeout));
    }

    [Fact]
    public async Task Without_a_running_server_status_says_so_in_one_line()
    {
        using var control = new ControlDirectory();

        CommandResult none = await ReverbCommand.RunAsync(control.Environment, Timeout, "status");
        CommandResult wrongPort = await ReverbCommand.RunAsync(control.Environment, Timeout, "status", "--port", "1");

        Assert.Equal(1, none.ExitCode);
        Assert.Equal($"reverb: no running reverb server of yours found (nothing in {control.Path})", none.Stderr.Trim());
        Assert.Equal(1, wrongPort.ExitCode);
        Assert.StartsWith("reverb: no reverb server of yours is serving port 1", wrongPort.Stderr.Trim(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_several_servers_status_asks_which_one_and_skips_killed_ones()
    {
        using var control = new ControlDirectory();
        await using var first = await ReverbServer.StartAsync(control.Environment, "--model", "async");
        await using var second = await ReverbServer.StartAsync(control.Environment, "--model", "threads");

        CommandResult several = await ReverbCommand.RunAsync(control.Environment, Timeout, "status");
        Assert.Equal(1, several.ExitCode);
        Assert.Contains("several reverb servers are running", several.Stderr, StringComparison.Ordinal);
        Assert.Contains($"{first.Port}", several.Stderr, StringComparison.Ordinal);

        // A server killed outright leaves its socket behind; status must not count it.
        first.Signal(Signals.SIGKILL);
        await first.WaitForExitAsync(Timeout);
        CommandResult one = await ReverbCommand.RunAsync(control.Environment, Timeout, "status", "--json");
        Assert.True(one.ExitCode == 0, one.Stderr);
        Assert.Equal(second.Pid, JsonDocument.Parse(one.Stdout).RootElement.GetProperty("pid").GetInt32());
    }

    private static JsonElement ClientRow(JsonElement[] processes, int clientPort, out JsonElement process)
    {
        foreach (JsonElement candidate in processes)
        {
            foreach (JsonElement client in candidate.GetProperty("clients").EnumerateArray())
            {
                if (client.GetProperty("client").GetString() == $"127.0.0.1:{clientPort}")
                {
                    process = candidate;
                    return client;
                }
            }
        }

        throw new Xunit.Sdk.XunitException($"no client 127.0.0.1:{clientPort} in the status");
    }
}
