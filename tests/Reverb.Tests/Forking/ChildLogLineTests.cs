using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using CsCheck;
using Reverb.Echo;
using Reverb.Forking;
using Reverb.Logging;
using Reverb.Net;

namespace Reverb.Tests.Forking;

/// <summary>The child's --verbose lines are byte for byte what the other models' loggers print.</summary>
public sealed partial class ChildLogLineTests
{
    private static readonly byte[] EvilPayload =
        [.. "\u001b[31mred\r\n2026-01-01 info: reverb.master[0] forged"u8, 0xff, 0x00];

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public async Task An_evil_chunk_is_escaped_exactly_as_the_managed_loggers_escape_it(bool json, bool proxied)
    {
        using var log = new LogPipe();
        int offset = (int)TimeZoneInfo.Local.GetUtcOffset(DateTime.UtcNow).TotalMinutes;
        var settings = new ChildEchoSettings { LogChunks = true, LogJson = json, LogFd = log.WriteFd, ProxyProtocol = proxied, LocalUtcOffsetMinutes = offset };
        using ChildLoopRun run = await ChildLoopRun.StartAsync(settings, family: proxied ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
        if (proxied)
        {
            await run.Client.SendAsync("PROXY TCP4 203.0.113.7 192.0.2.1 4242 7\r\n"u8.ToArray(), SocketFlags.None);
        }

        await run.Client.SendAsync(EvilPayload, SocketFlags.None);
        await ChildEchoLoopTests.ReceiveExactlyAsync(run.Client, new byte[EvilPayload.Length]);
        run.Client.Shutdown(SocketShutdown.Send);
        await run.WaitAsync();
        string line = Assert.Single(await log.CloseAndReadAsync()) + "\n";

        string chunk = ChunkFormatter.Format(EvilPayload);
        Assert.Equal("\"\\x1b[31mred\\r\\n2026-01-01 info: reverb.master[0] forged\\xff\\x00\"", chunk);
        string peer = proxied ? $"203.0.113.7:4242 via {run.Client.LocalEndPoint}" : run.Client.LocalEndPoint!.ToString()!;
        Assert.StartsWith(proxied ? "203.0.113.7:4242 via [::1]:" : "127.0.0.1:", peer, StringComparison.Ordinal);
        string expected = ReferenceConsoleLine.Write(json, $"reverb.worker[{Environment.ProcessId}]", peer, chunk);

        // Only the time differs; it must be now (local time for text, UTC for JSON).
        Regex timestamp = json ? JsonTimestamp() : TextTimestamp();
        Assert.Equal(timestamp.Replace(expected, "TIME", 1), timestamp.Replace(line, "TIME", 1));
        string time = timestamp.Match(line).Groups[1].Value;
        DateTime logged = DateTime.ParseExact(time, json ? "yyyy-MM-ddTHH:mm:ss.fffZ" : "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
        DateTime now = json ? DateTime.UtcNow : DateTime.UtcNow.AddMinutes(offset);
        Assert.InRange(logged, now.AddSeconds(-30), now.AddSeconds(1));
    }

    [Fact]
    public void The_span_escaper_and_the_managed_formatter_agree_on_every_byte_pair_and_cut()
    {
        Span<byte> text = stackalloc byte[ChunkFormatter.MaxWrittenLength(4)];
        byte[] chunk = new byte[5];
        for (int first = 0; first < 256; first++)
        {
            for (int second = 0; second < 256; second += 3)
            {
                chunk[0] = (byte)first;
                chunk[1] = (byte)second;
                chunk[2] = 0x80;
                chunk[3] = 0xe2;
                chunk[4] = (byte)'"';
                int written = ChunkFormatter.Write(chunk, text, maxShownBytes: 4);
                Assert.Equal(ChunkFormatter.Format(chunk, maxShownBytes: 4), System.Text.Encoding.UTF8.GetString(text[..written]));
            }
        }
    }

    [Theory]
    [InlineData("127.0.0.1", 5000)]
    [InlineData("0.0.0.0", 0)]
    [InlineData("255.255.255.255", 65535)]
    [InlineData("::1", 5000)]
    [InlineData("::", 1)]
    [InlineData("2001:db8::1", 7)]
    [InlineData("2001:db8:0:0:1:0:0:1", 7)]
    [InlineData("2001:0:0:1:0:0:0:1", 7)]
    [InlineData("::ffff:192.0.2.1", 7)]
    [InlineData("::192.0.2.1", 7)]
    [InlineData("::ffff:0:192.0.2.1", 7)]
    [InlineData("fe80::5efe:192.0.2.1", 7)]
    [InlineData("1:2:3:4:5:6:7:8", 7)]
    [InlineData("1:0:0:0:0:0:0:0", 7)]
    public void Endpoints_are_written_as_IPEndPoint_writes_them(string address, int port)
    {
        AssertFormatsLikeIPEndPoint(new IPEndPoint(IPAddress.Parse(address), port));
    }

    [Fact]
    public void Random_endpoints_are_written_as_IPEndPoint_writes_them()
    {
        // Addresses from few distinct groups, so that zero runs, mapped and ISATAP forms all come up.
        ushort[] groupValues = [0, 0, 0, 1, 0xffff, 0x5efe, 0xdb8, 0x1234];
        var group = Gen.Int[0, groupValues.Length - 1].Select(i => groupValues[i]);
        Gen.Select(group.Array[8], Gen.UShort).Sample((groups, port) =>
        {
            byte[] bytes = new byte[16];
            for (int i = 0; i < 8; i++)
            {
                bytes[2 * i] = (byte)(groups[i] >> 8);
                bytes[(2 * i) + 1] = (byte)groups[i];
            }

            AssertFormatsLikeIPEndPoint(new IPEndPoint(new IPAddress(bytes), port));
        }, iter: 20_000);
    }

    [Fact]
    public void Json_escaping_is_System_Text_Json_s()
    {
        var builder = new System.Text.StringBuilder();
        for (int c = 0; c < 0x3000; c++)
        {
            if (!char.IsSurrogate((char)c))
            {
                builder.Append((char)c);
            }
        }

        builder.Append("\U0001F600 \uFFFD \uFFFF");
        string text = builder.ToString();
        byte[] utf8 = System.Text.Encoding.UTF8.GetBytes(text);
        byte[] escaped = new byte[utf8.Length * JsonStringEscaper.MaxExpansion];
        int written = JsonStringEscaper.Write(utf8, escaped);

        using var stream = new MemoryStream();
        using (var writer = new System.Text.Json.Utf8JsonWriter(stream))
        {
            writer.WriteStringValue(text);
        }

        string reference = System.Text.Encoding.UTF8.GetString(stream.ToArray());
        Assert.Equal(reference[1..^1], System.Text.Encoding.UTF8.GetString(escaped, 0, written));
    }

    private static void AssertFormatsLikeIPEndPoint(IPEndPoint endpoint)
    {
        SlotAddress slot = SlotAddress.From(endpoint);
        byte[] text = new byte[SlotAddressFormatter.MaxLength];
        int written = SlotAddressFormatter.Write(slot, text);
        Assert.Equal(endpoint.ToString(), System.Text.Encoding.ASCII.GetString(text, 0, written));
    }

    [GeneratedRegex("^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3})")]
    private static partial Regex TextTimestamp();

    [GeneratedRegex("\"Timestamp\":\"([^\"]*)\"")]
    private static partial Regex JsonTimestamp();
}
