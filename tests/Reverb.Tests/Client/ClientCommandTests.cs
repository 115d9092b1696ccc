using System.Text;
using Reverb.Tests.Bench;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Client;

public sealed class ClientCommandTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    [Theory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task Pipe_mode_prints_the_echo_and_exits_zero(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model));

        var outcome = await ReverbProcess.RunAsync("hi\n"u8.ToArray(), Limit, "client", server.Host, server.Port.ToString());

        Assert.True(outcome.ExitCode == 0, $"exit {outcome.ExitCode}: {outcome.Stderr}");
        Assert.Equal("hi\n", outcome.StdoutText);
    }

    [Fact]
    public async Task Pipe_mode_is_binary_safe()
    {
        await using var server = await ReverbServer.StartAsync("--model", "async");
        byte[] input = new byte[300_000];
        new Random(7).NextBytes(input);
        input[0] = 0;
        input[^1] = 0;

        var outcome = await ReverbProcess.RunAsync(input, Limit, "client", server.Host, server.Port.ToString());

        Assert.True(outcome.ExitCode == 0, $"exit {outcome.ExitCode}: {outcome.Stderr}");
        Assert.Equal(input, outcome.Stdout);
    }

    [Fact]
    public async Task Refused_connection_is_one_clear_line()
    {
        int port = ReverbProcess.UnusedPort();

        var outcome = await ReverbProcess.RunAsync("hi\n"u8.ToArray(), Limit, "client", "127.0.0.1", port.ToString());

        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal($"reverb: cannot connect to 127.0.0.1:{port}: connection refused", outcome.Stderr.TrimEnd());
    }

    [Fact]
    public async Task Reset_by_the_server_is_reported()
    {
        await using var server = TestEchoServer.Start(TestEchoServer.EchoBehaviour.ResetAfterFirstRead);

        var outcome = await ReverbProcess.RunAsync(new byte[100_000], Limit, "client", server.Host, server.Port.ToString());

        Assert.Equal(1, outcome.ExitCode);
        Assert.StartsWith($"reverb: connection reset by 127.0.0.1:{server.Port}", outcome.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", outcome.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Udp_sends_datagrams_and_prints_replies()
    {
        await using var server = new TestUdpEchoServer();

        var outcome = await ReverbProcess.RunAsync("over udp\n"u8.ToArray(), Limit, "client", "127.0.0.1", server.Port.ToString(), "--udp");

        Assert.True(outcome.ExitCode == 0, $"exit {outcome.ExitCode}: {outcome.Stderr}");
        Assert.Equal("over udp\n", outcome.StdoutText);
    }

    [Fact]
    public async Task Udp_without_a_server_fails_clearly()
    {
        int port = ReverbProcess.UnusedPort();

        var outcome = await ReverbProcess.RunAsync("x\n"u8.ToArray(), Limit, "client", "127.0.0.1", port.ToString(), "--udp", "--timeout", "1s");

        Assert.Equal(1, outcome.ExitCode);
        string error = outcome.Stderr.TrimEnd();
        Assert.StartsWith("reverb: ", error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n'));
    }

    [Fact]
    public async Task Bad_port_is_a_usage_error()
    {
        var outcome = await ReverbProcess.RunAsync(null, Limit, "client", "127.0.0.1", "0");

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains("PORT must be between 1 and 65535", outcome.Stderr, StringComparison.Ordinal);
        Assert.Empty(Encoding.UTF8.GetString(outcome.Stdout));
    }
}
