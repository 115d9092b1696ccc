using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Reverb.Echo;
using Reverb.Forking;
using Reverb.Net;
using Reverb.Proxy;
using Reverb.Tests.Infrastructure;
using Reverb.Tests.Proxy;

namespace Reverb.Tests.Forking;

/// <summary>The forked child's echo loop, run in-process on a real loopback connection.</summary>
public sealed class ChildEchoLoopTests
{
    [Theory]
    [InlineData(false, false, "none")]
    [InlineData(true, false, "none")]
    [InlineData(true, true, "none")]
    [InlineData(false, false, "v1")]
    [InlineData(true, false, "v1")]
    [InlineData(false, false, "v2")]
    [InlineData(true, true, "v2")]
    public async Task Echoing_thousands_of_chunks_allocates_nothing(bool logChunks, bool json, string proxy)
    {
        using var log = new LogPipe();
        var settings = new ChildEchoSettings { BufferSize = 4096, LogChunks = logChunks, LogJson = json, LogFd = log.WriteFd, ProxyProtocol = proxy != "none" };
        using ChildLoopRun run = await ChildLoopRun.StartAsync(settings);
        if (proxy == "v1")
        {
            await run.Client.SendAsync("PROXY TCP6 2001:db8::7 2001:db8::1 4242 7\r\n"u8.ToArray(), SocketFlags.None);
        }
        else if (proxy == "v2")
        {
            // Longer than 16 + 536 bytes: TLVs after the addresses.
            byte[] addresses = new byte[12 + 700];
            new byte[] { 198, 51, 100, 9, 192, 0, 2, 1, 0x1f, 0x90, 0, 7 }.CopyTo(addresses, 0);
            await run.Client.SendAsync(ProxyHeaderParserTests.V2(command: 1, family: 0x11, addresses), SocketFlags.None);
        }

        const int Messages = 3000;
        string idMark = $"][{EchoLog.ChunkEventId}] ";
        byte[] data = Payloads.Random(512);
        byte[] echo = new byte[512];
        long total = 0;
        for (int i = 0; i < Messages; i++)
        {
            int length = 1 + (i * 37 % 511);
            await run.Client.SendAsync(data.AsMemory(0, length), SocketFlags.None);
            await ReceiveExactlyAsync(run.Client, echo.AsMemory(0, length));
            Assert.True(data.AsSpan(0, length).SequenceEqual(echo.AsSpan(0, length)));
            total += length;
        }

        run.Client.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await run.Client.ReceiveAsync(echo, SocketFlags.None));
        await run.WaitAsync();

        Assert.Equal(EchoEnd.ClientClosed, run.End);
        Assert.Equal(0, run.Allocated);
        Assert.Equal(total, run.BytesIn);
        Assert.Equal(total, run.BytesOut);
        Assert.Equal((int)ChildSlotState.Finished, run.State);
        string? client = run.ClientAddress.ToEndPoint()?.ToString();
        Assert.Equal(proxy switch { "v1" => "[2001:db8::7]:4242", "v2" => "198.51.100.9:8080", _ => null }, client);

        string[] lines = await log.CloseAndReadAsync();
        if (!logChunks)
        {
            Assert.Empty(lines);
            return;
        }

        // One line per chunk read: at least one per message unless two were read at once.
        Assert.InRange(lines.Length, Messages / 2, Messages * 2);
        string peer = proxy == "none" ? run.Client.LocalEndPoint!.ToString()! : $"{client} via {run.Client.LocalEndPoint}";
        foreach (string line in lines)
        {
            string message = json
                ? JsonDocument.Parse(line).RootElement.GetProperty("Message").GetString()!
                : line[(line.IndexOf(idMark, StringComparison.Ordinal) + idMark.Length)..];
            Assert.StartsWith(peer + " > \"", message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Random_bytes_come_back_exactly_and_a_half_close_gets_all_of_them_then_eof()
    {
        using ChildLoopRun run = await ChildLoopRun.StartAsync(new ChildEchoSettings { BufferSize = 8192 });
        byte[] data = Payloads.Random(1 << 20, seed: 7);
        Task sending = Task.Run(async () =>
        {
            for (int sent = 0; sent < data.Length; sent += 10_000)
            {
                await run.Client.SendAsync(data.AsMemory(sent, Math.Min(10_000, data.Length - sent)), SocketFlags.None);
            }

            run.Client.Shutdown(SocketShutdown.Send);
        });

        using var received = new MemoryStream();
        byte[] buffer = new byte[65536];
        int read;
        while ((read = await run.Client.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(ChildLoopRun.Timeout)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        await sending;
        await run.WaitAsync();
        Assert.True(data.AsSpan().SequenceEqual(received.ToArray()), "the echo differs from what was sent");
        Assert.Equal(EchoEnd.ClientClosed, run.End);
        Assert.Equal(data.Length, run.BytesOut);
    }

    [Fact]
    public async Task A_client_that_makes_no_progress_is_closed_after_the_idle_timeout()
    {
        using ChildLoopRun run = await ChildLoopRun.StartAsync(new ChildEchoSettings { IdleTimeoutMs = 200 });
        await ExchangeAsync(run.Client, "x");
        await run.WaitAsync();
        Assert.Equal(EchoEnd.IdleTimeout, run.End);
        Assert.Equal(1, run.BytesOut);
    }

    [Fact]
    public async Task A_client_that_never_reads_stops_the_loop_reading_once_the_buffers_are_full()
    {
        const int BufferSize = 16384;
        using ChildLoopRun run = await ChildLoopRun.StartAsync(new ChildEchoSettings { BufferSize = BufferSize });
        byte[] chunk = Payloads.Random(65536);
        long offered = 0;
        using var stop = new CancellationTokenSource();
        Task flood = Task.Run(async () =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    offered += await run.Client.SendAsync(chunk, SocketFlags.None, stop.Token);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // The test ends the flood by cancelling and closing.
            }
        });

        // Wait until nothing moves any more: every buffer between the two ends is full.
        long last = -1;
        var stable = Stopwatch.StartNew();
        var overall = Stopwatch.StartNew();
        while (stable.Elapsed < TimeSpan.FromMilliseconds(500))
        {
            Assert.True(overall.Elapsed < ChildLoopRun.Timeout, "bytes in never stopped growing");
            await Task.Delay(50);
            long now = run.BytesIn;
            if (now != last)
            {
                last = now;
                stable.Restart();
            }
        }

        long bytesIn = run.BytesIn;
        long bytesOut = run.BytesOut;
        Assert.InRange(bytesIn - bytesOut, 0, BufferSize);
        Assert.InRange(bytesIn, 1, 64L << 20);
        Assert.False(run.Done.IsCompleted);

        await stop.CancelAsync();
        run.Client.Close();
        await run.WaitAsync();
        await flood;
        Assert.Equal(EchoEnd.Reset, run.End);
    }

    [Fact]
    public async Task Sigterm_lets_the_client_go_on_for_the_drain_period_then_closes_it_and_other_signals_are_ignored()
    {
        using ChildLoopRun run = await ChildLoopRun.StartAsync(new ChildEchoSettings { DrainMs = 1500 }, withSignals: true);
        int thread = await run.ThreadId.WaitAsync(ChildLoopRun.Timeout);
        await ExchangeAsync(run.Client, "a");

        ThreadSignals.Send(thread, ThreadSignals.SIGUSR1);
        await ExchangeAsync(run.Client, "b");

        ThreadSignals.Send(thread, ThreadSignals.SIGTERM);
        var draining = Stopwatch.StartNew();
        await ExchangeAsync(run.Client, "c");
        await run.WaitAsync();
        Assert.Equal(EchoEnd.Shutdown, run.End);
        Assert.True(draining.ElapsedMilliseconds >= 1000, $"closed {draining.ElapsedMilliseconds} ms after SIGTERM, before the drain period");
        Assert.Equal(3, run.BytesOut);
    }

    [Fact]
    public async Task A_client_that_finishes_during_the_drain_is_served_to_the_end()
    {
        using ChildLoopRun run = await ChildLoopRun.StartAsync(new ChildEchoSettings { DrainMs = 60_000 }, withSignals: true);
        int thread = await run.ThreadId.WaitAsync(ChildLoopRun.Timeout);
        await ExchangeAsync(run.Client, "a");
        ThreadSignals.Send(thread, ThreadSignals.SIGTERM);
        await ExchangeAsync(run.Client, "b");
        run.Client.Shutdown(SocketShutdown.Send);
        await run.WaitAsync();
        Assert.Equal(EchoEnd.ClientClosed, run.End);
    }

    [Theory]
    [InlineData("PROXY TCP4 1 2 3 4\r\n", (int)ProxyHeaderError.V1Address)]
    [InlineData("GET / HTTP/1.1\r\n\r\n", (int)ProxyHeaderError.NotProxy)]
    [InlineData("PROXY TCP4 203.0.113.7 192.0.2.1 4242 7\n", (int)ProxyHeaderError.V1Malformed)]
    public async Task A_bad_proxy_header_is_rejected_with_its_reason_in_the_slot(string header, int error)
    {
        using ChildLoopRun run = await ChildLoopRun.StartAsync(new ChildEchoSettings { ProxyProtocol = true });
        await run.Client.SendAsync(Encoding.ASCII.GetBytes(header), SocketFlags.None);
        await run.WaitAsync();
        Assert.Equal(EchoEnd.Rejected, run.End);
        Assert.Equal(error, run.ProxyError);
        Assert.Equal(0, run.BytesIn);
    }

    [Fact]
    public async Task A_proxy_header_that_does_not_arrive_in_time_is_rejected()
    {
        using ChildLoopRun run = await ChildLoopRun.StartAsync(new ChildEchoSettings { ProxyProtocol = true, ProxyTimeoutMs = 200 });
        await run.Client.SendAsync("PROXY TCP4 "u8.ToArray(), SocketFlags.None);
        await run.WaitAsync();
        Assert.Equal(EchoEnd.Rejected, run.End);
        Assert.Equal((int)ProxyHeaderError.Timeout, run.ProxyError);
    }

    [Fact]
    public async Task A_health_check_header_names_no_client_and_data_after_it_is_echoed()
    {
        using ChildLoopRun run = await ChildLoopRun.StartAsync(new ChildEchoSettings { ProxyProtocol = true });
        await run.Client.SendAsync("PROXY UNKNOWN\r\nhi"u8.ToArray(), SocketFlags.None);
        byte[] echo = new byte[2];
        await ReceiveExactlyAsync(run.Client, echo);
        Assert.Equal("hi"u8.ToArray(), echo);
        run.Client.Shutdown(SocketShutdown.Send);
        await run.WaitAsync();
        Assert.Equal(SlotAddress.Unnamed, run.ClientAddress.Family);
    }

    internal static async Task ExchangeAsync(Socket client, string text)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(text);
        await client.SendAsync(bytes, SocketFlags.None);
        byte[] echo = new byte[bytes.Length];
        await ReceiveExactlyAsync(client, echo);
        Assert.Equal(bytes, echo);
    }

    internal static async Task ReceiveExactlyAsync(Socket socket, Memory<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            int read = await socket.ReceiveAsync(destination, SocketFlags.None).AsTask().WaitAsync(ChildLoopRun.Timeout);
            Assert.NotEqual(0, read);
            destination = destination[read..];
        }
    }
}
