using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using Reverb.Serving;
using static Reverb.Protocol.ChannelMessage;

namespace Reverb.Protocol;

/// <summary>
/// The one place channel messages are written to and read from their frames. A frame is
/// <see cref="FrameSize"/> bytes (the SOCK_SEQPACKET socket keeps boundaries): byte 0 the kind,
/// bytes 4–7 a 32-bit field, then six 64-bit fields at 8, 16, …, 48, all little-endian; unused
/// bytes are zero. Reading checks every field, so a record that comes out is valid: a frame of
/// the wrong size, of an unknown kind or with a field out of range gives an error text instead.
/// </summary>
internal static class ChannelCodec
{
    public const int FrameSize = 64;

    private static readonly long MaxUnixMs = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();
    private static readonly long MaxDrainMs = TimeSpan.MaxValue.Ticks / TimeSpan.TicksPerMillisecond;

    /// <summary>Writes <paramref name="message"/> as a frame into the first <see cref="FrameSize"/> bytes of <paramref name="destination"/>.</summary>
    public static void Write<T>(in T message, Span<byte> destination)
        where T : IChannelMessage
    {
        Frame frame = message switch
        {
            Ready m => new(ChannelMessageType.Ready, A: m.Pid),
            Listen m => new(ChannelMessageType.Listen, A: m.Index, B: m.Count),
            Shutdown m => new(ChannelMessageType.Shutdown, A: Math.Max(m.Drain.Ticks / TimeSpan.TicksPerMillisecond, 0)),
            Retire => new(ChannelMessageType.Retire),
            Query m => new(ChannelMessageType.Query, Code: m.TotalsOnly ? 1 : 0, A: m.RequestId),
            Report m => WithAddress(new(ChannelMessageType.Report, Code: m.Client?.Port ?? -1, C: m.BytesIn, D: m.BytesOut, E: m.Since.ToUnixTimeMilliseconds(), F: m.RequestId), m.Client?.Address),
            Totals m => new(
                ChannelMessageType.Totals,
                Code: (int)Math.Clamp(m.Figures.Active, int.MinValue, int.MaxValue),
                A: m.Figures.Accepted,
                B: m.Figures.RejectedPerSource,
                C: m.Figures.RejectedProxyHeader,
                D: m.Figures.BytesIn,
                E: m.Figures.BytesOut,
                F: m.RequestId),
            Admit m => WithAddress(new(ChannelMessageType.Admit, C: m.RequestId), m.Source),
            Admitted m => new(ChannelMessageType.Admitted, Code: m.Yes ? 1 : 0, A: m.RequestId),
            Release m => WithAddress(new(ChannelMessageType.Release), m.Source),
            _ => throw new ArgumentException($"{message.GetType().Name} is not a channel message kind", nameof(message)),
        };
        frame.WriteTo(destination);
    }

    /// <summary>Reads one frame; false, with <paramref name="error"/> saying why, when it is not a valid message.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, [NotNullWhen(true)] out IChannelMessage? message, [NotNullWhen(false)] out string? error)
    {
        message = null;
        if (source.Length != FrameSize)
        {
            error = $"a frame of {source.Length} bytes (every message is {FrameSize})";
            return false;
        }

        Frame f = Frame.ReadFrom(source);
        error = f.Type switch
        {
            ChannelMessageType.Ready when f.A is <= 0 or > int.MaxValue => $"Ready with pid {f.A}",
            ChannelMessageType.Listen when f.B is <= 0 or > int.MaxValue || f.A < 0 || f.A >= f.B => $"Listen number {f.A} of {f.B}",
            ChannelMessageType.Shutdown when f.A < 0 || f.A > MaxDrainMs => $"Shutdown with drain {f.A} ms",
            ChannelMessageType.Query or ChannelMessageType.Admitted when f.Code is not (0 or 1) => $"{f.Type} with flag {f.Code}",
            ChannelMessageType.Report when f.Code is < -1 or > IPEndPoint.MaxPort => $"Report with port {f.Code}",
            ChannelMessageType.Report when f.C < 0 || f.D < 0 => $"Report with bytes {f.C}/{f.D}",
            ChannelMessageType.Report when f.E < 0 || f.E > MaxUnixMs => $"Report with time {f.E}",
            ChannelMessageType.Totals when f.Code < 0 || f.A < 0 || f.B < 0 || f.C < 0 || f.D < 0 || f.E < 0 => "Totals with a negative figure",
            ChannelMessageType.Ready or ChannelMessageType.Listen or ChannelMessageType.Shutdown or ChannelMessageType.Retire or ChannelMessageType.Query
                or ChannelMessageType.Report or ChannelMessageType.Totals or ChannelMessageType.Admit or ChannelMessageType.Admitted or ChannelMessageType.Release => null,
            _ => $"a frame of unknown kind {(byte)f.Type}",
        };
        if (error is not null)
        {
            return false;
        }

        message = f.Type switch
        {
            ChannelMessageType.Ready => new Ready((int)f.A),
            ChannelMessageType.Listen => new Listen((int)f.A, (int)f.B),
            ChannelMessageType.Shutdown => new Shutdown(TimeSpan.FromTicks(f.A * TimeSpan.TicksPerMillisecond)),
            ChannelMessageType.Retire => new Retire(),
            ChannelMessageType.Query => new Query(f.A, TotalsOnly: f.Code == 1),
            ChannelMessageType.Report => new Report(f.F, f.Code < 0 ? null : new IPEndPoint(f.Address(), f.Code), f.C, f.D, DateTimeOffset.FromUnixTimeMilliseconds(f.E)),
            ChannelMessageType.Totals => new Totals(f.F, new ConnectionTotals(f.A, f.Code, f.B, f.C, f.D, f.E)),
            ChannelMessageType.Admit => new Admit(f.C, f.Address()),
            ChannelMessageType.Admitted => new Admitted(f.A, Yes: f.Code == 1),
            _ => new Release(f.Address()),
        };
        return true;
    }

    /// <summary>The kind's name, as errors and logs give it.</summary>
    public static string KindOf(IChannelMessage message) => message.GetType().Name;

    /// <summary>An address travels as 16 bytes in A and B: IPv6, or IPv4 mapped into IPv6 (read back as IPv4).</summary>
    private static Frame WithAddress(Frame frame, IPAddress? address)
    {
        if (address is null)
        {
            return frame;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.MapToIPv6().TryWriteBytes(bytes, out _);
        return frame with { A = BinaryPrimitives.ReadInt64LittleEndian(bytes), B = BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]) };
    }

    /// <summary>The raw frame: the slots exist only here.</summary>
    private readonly record struct Frame(ChannelMessageType Type, int Code = 0, long A = 0, long B = 0, long C = 0, long D = 0, long E = 0, long F = 0)
    {
        public void WriteTo(Span<byte> destination)
        {
            destination[..FrameSize].Clear();
            destination[0] = (byte)Type;
            BinaryPrimitives.WriteInt32LittleEndian(destination[4..], Code);
            BinaryPrimitives.WriteInt64LittleEndian(destination[8..], A);
            BinaryPrimitives.WriteInt64LittleEndian(destination[16..], B);
            BinaryPrimitives.WriteInt64LittleEndian(destination[24..], C);
            BinaryPrimitives.WriteInt64LittleEndian(destination[32..], D);
            BinaryPrimitives.WriteInt64LittleEndian(destination[40..], E);
            BinaryPrimitives.WriteInt64LittleEndian(destination[48..], F);
        }

        public static Frame ReadFrom(ReadOnlySpan<byte> source) => new(
            (ChannelMessageType)source[0],
            BinaryPrimitives.ReadInt32LittleEndian(source[4..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[40..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[48..]));

        public IPAddress Address()
        {
            Span<byte> bytes = stackalloc byte[16];
            BinaryPrimitives.WriteInt64LittleEndian(bytes, A);
            BinaryPrimitives.WriteInt64LittleEndian(bytes[8..], B);
            var address = new IPAddress(bytes);
            return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        }
    }
}
