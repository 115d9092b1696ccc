using System.Net.Sockets;
using System.Text;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Serve;

/// <summary>RFC 862 behaviour that every concurrency model must show, against real reverb processes.</summary>
public sealed class EchoBehaviourTests
{
    [Theory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task Echoes_binary_data_with_NUL_bytes_exactly(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model));
        using var client = await EchoClient.ConnectAsync(server);

        byte[] message = [0, 1, 2, 0, 255, 254, (byte)'\n', 0, (byte)'h', (byte)'i', 0];
        Assert.Equal(message, await client.RoundTripAsync(message));

        byte[] random = Payloads.Random(10_000);
        Assert.Equal(random, await client.RoundTripAsync(random));
    }

    [Theory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task Echoes_several_MiB_sent_in_one_go(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model));
        using var client = await EchoClient.ConnectAsync(server);

        byte[] data = Payloads.Random(3 * 1024 * 1024 + 17);
        Assert.Equal(data, await client.RoundTripAsync(data));
    }

    [Theory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task Half_close_returns_everything_then_the_server_closes(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model));
        using var client = await EchoClient.ConnectAsync(server);

        byte[] data = Payloads.Random(256 * 1024, seed: 7);
        await client.Socket.SendAsync(data, SocketFlags.None);
        client.Socket.Shutdown(SocketShutdown.Send);

        (byte[] echoed, bool clean) = await client.ReadToEndAsync(EchoClient.Timeout);
        Assert.True(clean, "the server should close with FIN, not reset");
        Assert.Equal(data, echoed);
        await server.WaitForLineAsync("client closed", EchoClient.Timeout);
    }

    [Theory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task Concurrent_clients_each_get_only_their_own_bytes(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model));
        var clients = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => EchoClient.ConnectAsync(server)));
        try
        {
            await Task.WhenAll(clients.Select(async (client, i) =>
            {
                for (int round = 0; round < 5; round++)
                {
                    byte[] data = Payloads.Random(1000 + (i * 311) + round, seed: (i * 100) + round);
                    Assert.Equal(data, await client.RoundTripAsync(data));
                }
            }));
        }
        finally
        {
            foreach (EchoClient client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Theory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task A_client_that_does_not_read_cannot_make_the_server_buffer_without_bound(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model));
        using var client = await EchoClient.ConnectAsync(server);
        client.Socket.ReceiveBufferSize = 64 * 1024;
        client.Socket.SendBufferSize = 64 * 1024;

        // Write without reading until the kernel refuses more: the server must stop reading too.
        const int Limit = 256 * 1024 * 1024;
        byte[] chunk = Payloads.Random(64 * 1024, seed: 3);
        client.Socket.Blocking = false;
        long written = 0;
        int refusals = 0;
        while (written < Limit && refusals < 20)
        {
            try
            {
                written += client.Socket.Send(chunk, (int)(written % chunk.Length), chunk.Length - (int)(written % chunk.Length), SocketFlags.None);
                refusals = 0;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.WouldBlock)
            {
                // Give the server a moment to read more, if it (wrongly) would.
                refusals++;
                await Task.Delay(25);
            }
        }

        Assert.True(written < 64 * 1024 * 1024, $"the server accepted {written} bytes without their echo being read");

        // Everything written still comes back, exactly, once the client reads.
        client.Socket.Blocking = true;
        client.Socket.Shutdown(SocketShutdown.Send);
        (byte[] echoed, bool clean) = await client.ReadToEndAsync(EchoClient.Timeout);
        Assert.True(clean);
        Assert.Equal(written, echoed.Length);
        for (int i = 0; i < echoed.Length; i++)
        {
            if (echoed[i] != chunk[i % chunk.Length])
            {
                Assert.Fail($"byte {i} differs");
            }
        }
    }

    [Theory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task Idle_timeout_closes_a_silent_client_and_logs_why(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--idle-timeout", "1s"));
        using var client = await EchoClient.ConnectAsync(server);
        Assert.Equal("x"u8.ToArray(), await client.RoundTripAsync("x"u8.ToArray()));

        (byte[] rest, _) = await client.ReadToEndAsync(TimeSpan.FromSeconds(30));
        Assert.Empty(rest);
        await server.WaitForLineAsync("idle timeout", EchoClient.Timeout);
    }

    [Theory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task Logs_each_client_with_bytes_and_how_it_ended(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model));
        int localPort;
        using (var client = await EchoClient.ConnectAsync(server))
        {
            localPort = client.LocalPort;
            await client.RoundTripAsync(Encoding.ASCII.GetBytes("hello"));
            client.Socket.Shutdown(SocketShutdown.Send);
            await client.ReadToEndAsync(EchoClient.Timeout);
        }

        await server.WaitForLineAsync($"accepted 127.0.0.1:{localPort} (worker ", EchoClient.Timeout);
        string finished = await server.WaitForLineAsync($"finished 127.0.0.1:{localPort} ", EchoClient.Timeout);
        Assert.Contains("5 bytes in, 5 bytes out", finished, StringComparison.Ordinal);
        Assert.Contains("client closed", finished, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task Verbose_chunk_logs_escape_control_characters_so_data_cannot_forge_log_lines(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--verbose"));
        using var client = await EchoClient.ConnectAsync(server);

        byte[] evil = [.. "\u001b[31mred\r\n"u8, .. "2026-01-01 info: reverb.master[0] forged"u8, 0xff, 0x00];
        Assert.Equal(evil, await client.RoundTripAsync(evil));

        string line = await server.WaitForLineAsync(" > \"", EchoClient.Timeout);
        Assert.Contains("\\x1b[31mred\\r\\n2026-01-01 info: reverb.master[0] forged\\xff\\x00", line, StringComparison.Ordinal);
        Assert.DoesNotContain(server.Lines, l => l.StartsWith("2026-01-01 info", StringComparison.Ordinal) || l.Contains('\u001b', StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ServerModels.All), MemberType = typeof(ServerModels))]
    public async Task Garbage_and_resets_from_one_client_do_not_disturb_another(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model));
        using var steady = await EchoClient.ConnectAsync(server);
        Assert.Equal("before"u8.ToArray(), await steady.RoundTripAsync("before"u8.ToArray()));

        for (int i = 0; i < 5; i++)
        {
            using var rude = await EchoClient.ConnectAsync(server);
            await rude.Socket.SendAsync(Payloads.Random(100_000, seed: i), SocketFlags.None);

            // Close with unread data and linger 0: the server sees a reset mid-echo.
            rude.Socket.LingerState = new LingerOption(true, 0);
        }

        Assert.Equal("after"u8.ToArray(), await steady.RoundTripAsync("after"u8.ToArray()));
        using var fresh = await EchoClient.ConnectAsync(server);
        Assert.Equal("fresh"u8.ToArray(), await fresh.RoundTripAsync("fresh"u8.ToArray()));
    }
}
