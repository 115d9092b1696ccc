using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Serve;

/// <summary>A second SIGTERM or Ctrl-C during the drain stops at once; SIGHUP sent to the whole group reloads once and disturbs no client.</summary>
public sealed class SignalTests
{
    private const int SIGHUP = 1;

    public static TheoryData<string, int> ModelsAndSignals => new()
    {
        { "process", Signals.SIGTERM },
        { "workers", Signals.SIGTERM },
        { "threads", Signals.SIGINT },
        { "async", Signals.SIGTERM },
    };

    [Theory]
    [MemberData(nameof(ModelsAndSignals))]
    public async Task A_second_signal_during_the_drain_stops_at_once(string model, int signal)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--drain-timeout", "60s"));
        using var client = await EchoClient.ConnectAsync(server);
        Assert.Equal("hi"u8.ToArray(), await client.RoundTripAsync("hi"u8.ToArray()));
        int[] children = [.. server.Children().Select(c => c.Pid)];

        server.Signal(Signals.SIGTERM);
        await server.WaitForLineAsync("stopping; open clients have up to 60 s to finish", EchoClient.Timeout);

        // The client keeps the drain going (60 s); the second signal cuts it short.
        server.Signal(signal);
        string name = signal == Signals.SIGINT ? "SIGINT" : "SIGTERM";
        Assert.Equal(signal == Signals.SIGINT ? 130 : 143, await server.WaitForExitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains($"second {name} during the drain: stopping now", server.Log, StringComparison.Ordinal);
        await Eventually.AssertAsync(() => children.All(pid => !ProcessTable.IsAlive(pid)), TimeSpan.FromSeconds(10), "every worker gone");
        (_, _) = await client.ReadToEndAsync(TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData("process")]
    [InlineData("workers")]
    [InlineData("threads")]
    [InlineData("async")]
    public async Task SIGHUP_to_the_whole_group_reloads_once_and_keeps_serving(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model));
        using var client = await EchoClient.ConnectAsync(server);
        Assert.Equal("a"u8.ToArray(), await client.RoundTripAsync("a"u8.ToArray()));

        // A terminal's hangup reaches the whole process group: the workers too.
        server.Signal(SIGHUP);
        foreach (ProcessTable.Entry child in server.Children())
        {
            Signals.Send(child.Pid, SIGHUP);
        }

        // Only the master acts on it: the forking process and the workers leave it to the master.
        bool replaces = model is "process" or "workers";
        await server.WaitForLineAsync(replaces ? "reload done: " : "SIGHUP: reload: nothing to replace", EchoClient.Timeout);
        int before = server.LineCount;

        // Still serving, the same client and new ones.
        Assert.Equal("b"u8.ToArray(), await client.RoundTripAsync("b"u8.ToArray()));
        using var another = await EchoClient.ConnectAsync(server);
        Assert.Equal("c"u8.ToArray(), await another.RoundTripAsync("c"u8.ToArray()));
        await server.WaitForLineAsync($"accepted 127.0.0.1:{another.LocalPort}", EchoClient.Timeout, after: before);
        Assert.True(ProcessTable.IsAlive(server.Pid));
        Assert.Single(server.Lines, l => l.Contains("SIGHUP", StringComparison.Ordinal));
        Assert.Equal(replaces ? 1 : 0, server.Lines.Count(l => l.Contains("reload done: ", StringComparison.Ordinal)));
        Assert.DoesNotContain(server.Lines, l => l.Contains("died", StringComparison.Ordinal));
    }
}
