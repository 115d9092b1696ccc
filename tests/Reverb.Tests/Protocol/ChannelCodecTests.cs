using System.Net;
using CsCheck;
using Reverb.Protocol;
using Reverb.Serving;

namespace Reverb.Tests.Protocol;

/// <summary>
/// The master–worker codec on its own: every message kind comes back whole from its frame, and a
/// frame that is not a valid message (wrong size, unknown kind, a field out of range, arbitrary
/// bytes) gives an error text, never an exception.
/// </summary>
public sealed class ChannelCodecTests
{
    private static readonly long MaxUnixMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    private static readonly Gen<IPAddress> Address = Gen.OneOf(
        Gen.Byte.Array[4].Select(bytes => new IPAddress(bytes)),
        Gen.Byte.Array[16].Select(bytes => new IPAddress(bytes)).Where(address => !address.IsIPv4MappedToIPv6));

    private static readonly Gen<IPEndPoint?> Client = Gen.Frequency(
        (1, Gen.Const((IPEndPoint?)null)),
        (4, Gen.Select(Address, Gen.Int[0, IPEndPoint.MaxPort]).Select(pair => (IPEndPoint?)new IPEndPoint(pair.Item1, pair.Item2))));

    private static readonly Gen<long> Count = Gen.Long[0, long.MaxValue];

    private static readonly Gen<ConnectionTotals> Totals = Gen.Select(Count, Gen.Int[0, int.MaxValue], Count, Count, Count, Count)
        .Select(t => new ConnectionTotals(t.Item1, t.Item2, t.Item3, t.Item4, t.Item5, t.Item6));

    /// <summary>Any valid message of any kind (a time or a duration only to the millisecond, as the frame carries it).</summary>
    private static readonly Gen<IChannelMessage> AnyMessage = Gen.OneOf(
        Gen.Int[1, int.MaxValue].Select(pid => (IChannelMessage)new ChannelMessage.Ready(pid)),
        Gen.Int[1, int.MaxValue].SelectMany(count => Gen.Int[0, count - 1].Select(index => (IChannelMessage)new ChannelMessage.Listen(index, count))),
        Gen.Long[0, TimeSpan.MaxValue.Ticks / TimeSpan.TicksPerMillisecond].Select(ms => (IChannelMessage)new ChannelMessage.Shutdown(TimeSpan.FromTicks(ms * TimeSpan.TicksPerMillisecond))),
        Gen.Const((IChannelMessage)default(ChannelMessage.Retire)),
        Gen.Select(Gen.Long, Gen.Bool).Select(q => (IChannelMessage)new ChannelMessage.Query(q.Item1, q.Item2)),
        Gen.Select(Gen.Long, Client, Count, Count, Gen.Long[0, MaxUnixMs])
            .Select(r => (IChannelMessage)new ChannelMessage.Report(r.Item1, r.Item2, r.Item3, r.Item4, DateTimeOffset.FromUnixTimeMilliseconds(r.Item5))),
        Gen.Select(Gen.Long, Totals).Select(t => (IChannelMessage)new ChannelMessage.Totals(t.Item1, t.Item2)),
        Gen.Select(Gen.Long, Address).Select(a => (IChannelMessage)new ChannelMessage.Admit(a.Item1, a.Item2)),
        Gen.Select(Gen.Long, Gen.Bool).Select(a => (IChannelMessage)new ChannelMessage.Admitted(a.Item1, a.Item2)),
        Address.Select(source => (IChannelMessage)new ChannelMessage.Release(source)));

    [Fact]
    public void Property_every_message_comes_back_whole_from_its_frame()
    {
        AnyMessage.Sample(
            message =>
            {
                Assert.True(ChannelCodec.TryRead(RawFrame.Of(message), out IChannelMessage? read, out string? error), error);
                Assert.Equal(message, read);
            },
            iter: 20_000);
    }

    [Fact]
    public void The_generator_covers_every_kind_on_the_wire()
    {
        // Sample runs on several threads: the set is filled under a lock.
        var kinds = new HashSet<byte>();
        AnyMessage.Sample(
            message =>
            {
                lock (kinds)
                {
                    kinds.Add(RawFrame.Of(message)[0]);
                }
            },
            iter: 2_000);
        Assert.Equal(Enum.GetValues<ChannelMessageType>().Select(kind => (byte)kind).Order(), kinds.Order());
    }

    [Fact]
    public void Edge_values_come_back_whole()
    {
        IChannelMessage[] edges =
        [
            new ChannelMessage.Report(0, null, 0, 0, DateTimeOffset.UnixEpoch),
            new ChannelMessage.Report(long.MinValue, new IPEndPoint(IPAddress.IPv6Any, 0), long.MaxValue, long.MaxValue, DateTimeOffset.FromUnixTimeMilliseconds(MaxUnixMs)),
            new ChannelMessage.Report(-1, new IPEndPoint(IPAddress.Parse("2001:db8::1"), IPEndPoint.MaxPort), 1, 2, DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123)),
            new ChannelMessage.Totals(0, default),
            new ChannelMessage.Admit(1, IPAddress.Any),
            new ChannelMessage.Release(IPAddress.Loopback),
            new ChannelMessage.Release(IPAddress.IPv6Loopback),
            new ChannelMessage.Shutdown(TimeSpan.Zero),
            new ChannelMessage.Listen(0, 1),
        ];
        Assert.All(edges, message =>
        {
            Assert.True(ChannelCodec.TryRead(RawFrame.Of(message), out IChannelMessage? read, out _));
            Assert.Equal(message, read);
        });
    }

    [Fact]
    public void A_negative_drain_is_sent_as_none()
    {
        Assert.True(ChannelCodec.TryRead(RawFrame.Of(new ChannelMessage.Shutdown(TimeSpan.FromSeconds(-1))), out IChannelMessage? read, out _));
        Assert.Equal(new ChannelMessage.Shutdown(TimeSpan.Zero), read);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(63)]
    [InlineData(65)]
    [InlineData(4096)]
    public void A_frame_of_the_wrong_size_is_refused_with_its_size(int size)
    {
        Assert.False(ChannelCodec.TryRead(new byte[size], out IChannelMessage? message, out string? error));
        Assert.Null(message);
        Assert.Equal($"a frame of {size} bytes (every message is 64)", error);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(14)]
    [InlineData(255)]
    public void A_frame_of_an_unknown_kind_is_refused_with_the_kind(byte kind)
    {
        Assert.False(ChannelCodec.TryRead(RawFrame.Of(kind, a: 1, b: 2), out _, out string? error));
        Assert.Equal($"a frame of unknown kind {kind}", error);
    }

    [Theory]
    [InlineData((byte)ChannelMessageType.Ready, 0, 0, 0, 0, 0, 0, "Ready with pid 0")]
    [InlineData((byte)ChannelMessageType.Ready, 0, 1L << 40, 0, 0, 0, 0, "Ready with pid 1099511627776")]
    [InlineData((byte)ChannelMessageType.Listen, 0, 2, 2, 0, 0, 0, "Listen number 2 of 2")]
    [InlineData((byte)ChannelMessageType.Listen, 0, -1, 2, 0, 0, 0, "Listen number -1 of 2")]
    [InlineData((byte)ChannelMessageType.Shutdown, 0, -5, 0, 0, 0, 0, "Shutdown with drain -5 ms")]
    [InlineData((byte)ChannelMessageType.Shutdown, 0, long.MaxValue, 0, 0, 0, 0, "Shutdown with drain 9223372036854775807 ms")]
    [InlineData((byte)ChannelMessageType.Query, 2, 1, 0, 0, 0, 0, "Query with flag 2")]
    [InlineData((byte)ChannelMessageType.Admitted, -1, 1, 0, 0, 0, 0, "Admitted with flag -1")]
    [InlineData((byte)ChannelMessageType.Report, 70_000, 0, 0, 0, 0, 0, "Report with port 70000")]
    [InlineData((byte)ChannelMessageType.Report, -2, 0, 0, 0, 0, 0, "Report with port -2")]
    [InlineData((byte)ChannelMessageType.Report, 80, 0, 0, -1, 0, 0, "Report with bytes -1/0")]
    [InlineData((byte)ChannelMessageType.Report, 80, 0, 0, 0, 0, long.MaxValue, "Report with time 9223372036854775807")]
    [InlineData((byte)ChannelMessageType.Report, 80, 0, 0, 0, 0, -1, "Report with time -1")]
    [InlineData((byte)ChannelMessageType.Totals, 0, -5, 0, 0, 0, 0, "Totals with a negative figure")]
    [InlineData((byte)ChannelMessageType.Totals, -1, 0, 0, 0, 0, 0, "Totals with a negative figure")]
    public void A_field_out_of_range_is_refused_and_named(byte kind, int code, long a, long b, long c, long d, long e, string expected)
    {
        Assert.False(ChannelCodec.TryRead(RawFrame.Of(kind, code, a, b, c, d, e), out IChannelMessage? message, out string? error));
        Assert.Null(message);
        Assert.Equal(expected, error);
    }

    [Fact]
    public void Property_arbitrary_bytes_give_a_message_or_an_error_never_an_exception()
    {
        Gen.OneOf(
                Gen.Byte.Array[0, 80],
                Gen.Select(Gen.Byte[0, 15], Gen.Byte.Array[ChannelCodec.FrameSize]).Select(pair =>
                {
                    pair.Item2[0] = pair.Item1;
                    return pair.Item2;
                }))
            .Sample(
                bytes =>
                {
                    bool read = ChannelCodec.TryRead(bytes, out IChannelMessage? message, out string? error);
                    Assert.Equal(read, message is not null);
                    Assert.Equal(read, error is null);
                },
                iter: 20_000);
    }
}
