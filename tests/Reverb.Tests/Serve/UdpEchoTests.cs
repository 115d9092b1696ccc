using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Reverb.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Reverb.Tests.Serve;

/// <summary>serve --udp: datagrams echoed by the master in every model, with loop protection and a per-source rate limit.</summary>
public sealed class UdpEchoTests
{
    private const int LargestIPv4Payload = 65_507;
    private static readonly TimeSpan Silence = TimeSpan.FromSeconds(1);

    [Theory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task Echoes_datagrams_byte_exact_up_to_the_largest_UDP_payload(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--udp"));
        await server.WaitForLineAsync($"udp echo on 127.0.0.1:{server.Port} ", EchoClient.Timeout);
        using var client = NewClient();
        var target = new IPEndPoint(IPAddress.Loopback, server.Port);

        byte[][] datagrams = [[0], [0, 1, 2, 0, 255, (byte)'\n', 0], Payloads.Random(1_000), Payloads.Random(LargestIPv4Payload, seed: 3)];
        foreach (byte[] datagram in datagrams)
        {
            Assert.Equal(datagram, await RoundTripAsync(client, target, datagram));
        }

        // TCP on the same port is unaffected.
        using var tcp = await EchoClient.ConnectAsync(server);
        Assert.Equal("tcp"u8.ToArray(), await tcp.RoundTripAsync("tcp"u8.ToArray()));
    }

    [Fact]
    public async Task Many_datagrams_from_several_sockets_each_get_their_own_reply()
    {
        await using var server = await ReverbServer.StartAsync("--model", "async", "--udp", "--udp-rate", "0");
        var target = new IPEndPoint(IPAddress.Loopback, server.Port);
        const int Sockets = 5, PerSocket = 50; // 250 from one address: more than the default rate would allow, so 0 must mean unlimited.

        await Task.WhenAll(Enumerable.Range(0, Sockets).Select(async s =>
        {
            using var client = NewClient();
            for (int i = 0; i < PerSocket; i++)
            {
                byte[] datagram = [.. BitConverter.GetBytes(s), .. BitConverter.GetBytes(i), .. Payloads.Random(100 + i, seed: s * 1000 + i)];
                Assert.Equal(datagram, await RoundTripAsync(client, target, datagram));
            }
        }));
    }

    [SkippableTheory]
    [InlineData(7)]
    [InlineData(19)]
    [InlineData(53)]
    [InlineData(123)]
    public async Task A_datagram_from_a_built_in_service_port_gets_no_reply_and_the_refusal_is_logged(int sourcePort)
    {
        using var client = NewClient();
        try
        {
            client.Bind(new IPEndPoint(IPAddress.Loopback, sourcePort));
        }
        catch (SocketException ex)
        {
            // Binding a port below 1024 needs root (these tests normally run as root) and a free port.
            throw new SkipException($"cannot bind 127.0.0.1:{sourcePort} to pose as a built-in service ({ex.SocketErrorCode}); run as root to test loop protection");
        }

        await using var server = await ReverbServer.StartAsync("--model", "async", "--udp");
        var target = new IPEndPoint(IPAddress.Loopback, server.Port);
        for (int i = 0; i < 20; i++)
        {
            await client.SendToAsync("loop?"u8.ToArray(), SocketFlags.None, target);
        }

        Assert.Empty(await ReceiveUntilSilentAsync(client));
        string line = await server.WaitForLineAsync($"from 127.0.0.1:{sourcePort} (source port is a built-in service: loop protection)", EchoClient.Timeout);
        Assert.Contains("refused 1 datagram", line, StringComparison.Ordinal);

        // Logged at a bounded rate: the first at once, the rest summed up later, never one line per datagram.
        Assert.True(server.Lines.Count(l => l.Contains("refused", StringComparison.Ordinal)) <= 2, $"refusals must be logged at a bounded rate:\n{server.Log}");
    }

    [Fact]
    public async Task Replies_per_source_are_limited_by_udp_rate_and_the_refusals_are_logged()
    {
        await using var server = await ReverbServer.StartAsync("--model", "async", "--udp", "--udp-rate", "50");
        using var client = NewClient();
        var target = new IPEndPoint(IPAddress.Loopback, server.Port);

        long started = Stopwatch.GetTimestamp();
        for (int i = 0; i < 1_000; i++)
        {
            await client.SendToAsync(BitConverter.GetBytes(i), SocketFlags.None, target);
        }

        int replies = (await ReceiveUntilSilentAsync(client)).Count;

        // A burst of 50, plus 50/s for as long as the server kept answering: at most until the last
        // reply arrived, which is a second of silence before now. Normally about 52. At least the
        // burst: the first datagrams find empty buffers, and the burst answers every one of them.
        double answeringSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds - Silence.TotalSeconds;
        int allowed = 50 + (int)Math.Ceiling(50 * (answeringSeconds + 0.05));
        Assert.InRange(replies, 50, allowed);
        await server.WaitForLineAsync("(over --udp-rate 50 replies/s for that source address)", EchoClient.Timeout);
        Assert.True(server.Lines.Count(l => l.Contains("refused", StringComparison.Ordinal)) <= 2, $"refusals must be logged at a bounded rate:\n{server.Log}");
    }

    [Fact]
    public async Task The_IPv6_any_address_echoes_IPv4_and_IPv6_datagrams()
    {
        await using var server = await ReverbServer.StartAsync("--model", "async", "--host", "::", "--udp");
        using var v4 = NewClient();
        Assert.Equal("v4"u8.ToArray(), await RoundTripAsync(v4, new IPEndPoint(IPAddress.Loopback, server.Port), "v4"u8.ToArray()));
        using var v6 = NewClient(AddressFamily.InterNetworkV6);
        Assert.Equal("v6"u8.ToArray(), await RoundTripAsync(v6, new IPEndPoint(IPAddress.IPv6Loopback, server.Port), "v6"u8.ToArray()));
    }

    [Theory]
    [InlineData("process")]
    [InlineData("threads")]
    public async Task SIGTERM_stops_the_udp_echo_too_and_the_server_exits_0(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--udp"));
        using var client = NewClient();
        var target = new IPEndPoint(IPAddress.Loopback, server.Port);
        Assert.Equal("x"u8.ToArray(), await RoundTripAsync(client, target, "x"u8.ToArray()));

        server.Signal(Signals.SIGTERM);
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        await server.WaitForLineAsync("udp echo stopped: 1 datagrams echoed, 0 refused", EchoClient.Timeout);

        await client.SendToAsync("y"u8.ToArray(), SocketFlags.None, target);
        Assert.Empty(await ReceiveUntilSilentAsync(client));
    }

    [Fact]
    public async Task Under_socket_activation_udp_binds_beside_the_passed_listener()
    {
        int port = OneShotExchange.FreeTcpPort();
        await using var server = await ReverbServer.StartUnderAsync(["/usr/bin/systemd-socket-activate", "-l", $"127.0.0.1:{port}"], "--model", "async", "--udp");

        // The activator starts reverb at the first connection.
        using var tcp = await EchoClient.ConnectAsync(server);
        Assert.Equal("tcp"u8.ToArray(), await tcp.RoundTripAsync("tcp"u8.ToArray()));
        await server.WaitForLineAsync($"udp echo on 127.0.0.1:{port} ", EchoClient.Timeout);
        using var client = NewClient();
        Assert.Equal("udp"u8.ToArray(), await RoundTripAsync(client, new IPEndPoint(IPAddress.Loopback, port), "udp"u8.ToArray()));
    }

    [Fact]
    public async Task REVERB_UDP_turns_it_on_for_containers()
    {
        var environment = new Dictionary<string, string> { ["REVERB_UDP"] = "1", ["REVERB_UDP_RATE"] = "7" };
        await using var server = await ReverbServer.StartAsync(environment, "--model", "async");
        await server.WaitForLineAsync("at most 7 replies/s per source address", EchoClient.Timeout);
        using var client = NewClient();
        Assert.Equal("env"u8.ToArray(), await RoundTripAsync(client, new IPEndPoint(IPAddress.Loopback, server.Port), "env"u8.ToArray()));
    }

    [Fact]
    public async Task A_udp_port_in_use_is_a_one_line_error()
    {
        (Socket taken, int port) = TakeUdpPortWhoseTcpPortIsFree();
        using Socket _ = taken;

        CommandResult result = await ReverbCommand.RunAsync(TimeSpan.FromSeconds(60), "serve", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--host", "127.0.0.1", "--udp");
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"reverb: udp: port {port} is already in use", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_udp_no_datagram_is_answered()
    {
        await using var server = await ReverbServer.StartAsync("--model", "async");
        using var client = NewClient();
        await client.SendToAsync("anyone?"u8.ToArray(), SocketFlags.None, new IPEndPoint(IPAddress.Loopback, server.Port));

        Assert.Empty(await ReceiveUntilSilentAsync(client));
        Assert.DoesNotContain(server.Lines, l => l.Contains("udp", StringComparison.Ordinal));
    }

    /// <summary>
    /// A UDP port held by this test whose TCP twin is free. Below the ephemeral range (32768 and up),
    /// so other tests' client connections, whose local ports come from that range, cannot take the TCP port meanwhile.
    /// </summary>
    internal static (Socket Taken, int Port) TakeUdpPortWhoseTcpPortIsFree()
    {
        var random = new Random();
        for (int attempt = 0; attempt < 100; attempt++)
        {
            int port = random.Next(20_000, 32_768);
            Socket udp = NewClient();
            try
            {
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return (udp, port);
            }
            catch (SocketException)
            {
                udp.Dispose();
            }
        }

        throw new InvalidOperationException("no port from 20000 to 32767 was free for both UDP and TCP");
    }

    internal static Socket NewClient(AddressFamily family = AddressFamily.InterNetwork) => new(family, SocketType.Dgram, ProtocolType.Udp);

    internal static async Task<byte[]> RoundTripAsync(Socket client, IPEndPoint target, byte[] datagram)
    {
        using var cts = new CancellationTokenSource(EchoClient.Timeout);
        await client.SendToAsync(datagram, SocketFlags.None, target, cts.Token);
        byte[] buffer = new byte[64 * 1024];
        SocketReceiveFromResult result = await client.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(target.Address, 0), cts.Token);
        Assert.Equal(target.Port, ((IPEndPoint)result.RemoteEndPoint).Port);
        return buffer[..result.ReceivedBytes];
    }

    /// <summary>Every datagram that arrives until nothing has come for a second (at most 30 s in all).</summary>
    private static async Task<List<byte[]>> ReceiveUntilSilentAsync(Socket client)
    {
        var received = new List<byte[]>();
        byte[] buffer = new byte[64 * 1024];
        EndPoint any = new IPEndPoint(client.AddressFamily == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        long deadline = Stopwatch.GetTimestamp() + 30 * Stopwatch.Frequency;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            using var cts = new CancellationTokenSource(Silence);
            try
            {
                SocketReceiveFromResult result = await client.ReceiveFromAsync(buffer, SocketFlags.None, any, cts.Token);
                received.Add(buffer[..result.ReceivedBytes]);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return received;
    }
}
