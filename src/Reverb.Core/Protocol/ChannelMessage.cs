using System.Buffers.Binary;
using System.Net;
using Reverb.Echo;
using Reverb.Serving;

namespace Reverb.Protocol;

/// <summary>One fixed-size message between master and worker (the socket keeps message boundaries).</summary>
internal readonly record struct ChannelMessage(ChannelMessageType Type, int Code, long A, long B, long C, long D = 0, long E = 0, long F = 0)
{
    public const int Size = 64;

    public static ChannelMessage Ready(int pid) => new(ChannelMessageType.Ready, 0, pid, 0, 0);

    public static ChannelMessage Serve(long connectionId) => new(ChannelMessageType.Serve, 0, connectionId, 0, 0);

    public static ChannelMessage Done(long connectionId, long bytesIn, long bytesOut, int end) => new(ChannelMessageType.Done, end, connectionId, bytesIn, bytesOut);

    public static ChannelMessage Listen(int index, int count) => new(ChannelMessageType.Listen, 0, index, count, 0);

    public static ChannelMessage Shutdown(TimeSpan drain) => new(ChannelMessageType.Shutdown, 0, (long)drain.TotalMilliseconds, 0, 0);

    public static ChannelMessage Retire() => new(ChannelMessageType.Retire, 0, 0, 0, 0);

    /// <summary>The real client behind a proxy; a null source (a proxy's own health check) is sent as port -1.</summary>
    public static ChannelMessage Client(long connectionId, IPEndPoint? source)
    {
        (long high, long low) = Encode(source?.Address);
        return new(ChannelMessageType.Client, source?.Port ?? -1, high, low, connectionId);
    }

    /// <param name="totalsOnly">Ask for the totals alone, not one Report per open connection (Code = 1).</param>
    public static ChannelMessage Query(long requestId, bool totalsOnly = false) => new(ChannelMessageType.Query, totalsOnly ? 1 : 0, requestId, 0, 0);

    /// <summary>Whether a Query asks for the totals alone.</summary>
    public bool TotalsOnly => Type == ChannelMessageType.Query && Code == 1;

    public static ChannelMessage Report(long requestId, LiveConnection connection)
    {
        (long high, long low) = Encode(connection.Client?.Address);
        return new(ChannelMessageType.Report, connection.Client?.Port ?? -1, high, low, connection.Counters.BytesIn, connection.Counters.BytesOut, connection.Since.ToUnixTimeMilliseconds(), requestId);
    }

    public static ChannelMessage Totals(long requestId, ConnectionTotals totals) =>
        new(ChannelMessageType.Totals, (int)Math.Min(totals.Active, int.MaxValue), totals.Accepted, totals.RejectedPerSource, totals.RejectedProxyHeader, totals.BytesIn, totals.BytesOut, requestId);

    public static ChannelMessage Admit(long requestId, IPAddress source)
    {
        (long high, long low) = Encode(source);
        return new(ChannelMessageType.Admit, 0, high, low, requestId);
    }

    public static ChannelMessage Admitted(long requestId, bool admitted) => new(ChannelMessageType.Admitted, admitted ? 1 : 0, requestId, 0, 0);

    public static ChannelMessage Release(IPAddress source)
    {
        (long high, long low) = Encode(source);
        return new(ChannelMessageType.Release, 0, high, low, 0);
    }

    /// <summary>The address carried in A and B (Client, Report, Admit, Release), with the port in Code when it has one.</summary>
    public IPEndPoint? ClientEndPoint() => Code < 0 ? null : new IPEndPoint(Address(), Code);

    public IPAddress Address()
    {
        Span<byte> address = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(address, A);
        BinaryPrimitives.WriteInt64LittleEndian(address[8..], B);
        var ip = new IPAddress(address);
        return ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip;
    }

    /// <summary>
    /// Why a message from a worker cannot be taken as it is (a field out of range), or null when it
    /// is fine. Only a broken or compromised worker sends such a thing; the master replaces it.
    /// </summary>
    public string? ProblemFromWorker() => Type switch
    {
        ChannelMessageType.Ready when A <= 0 => $"Ready with pid {A}",
        ChannelMessageType.Done when A <= 0 || B < 0 || C < 0 => $"Done with connection {A}, bytes {B}/{C}",
        ChannelMessageType.Done when !Enum.IsDefined((EchoEnd)Code) => $"Done with end {Code}",
        ChannelMessageType.Client or ChannelMessageType.Report when Code is < -1 or > 65535 => $"{Type} with port {Code}",
        ChannelMessageType.Report when C < 0 || D < 0 => $"Report with bytes {C}/{D}",
        ChannelMessageType.Report when E < 0 || E > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds() => $"Report with time {E}",
        ChannelMessageType.Totals when Code < 0 || A < 0 || B < 0 || C < 0 || D < 0 || E < 0 => "Totals with a negative figure",
        ChannelMessageType.Serve or ChannelMessageType.Listen or ChannelMessageType.Shutdown or ChannelMessageType.Retire
            or ChannelMessageType.Query or ChannelMessageType.Admitted => $"{Type}, which only the master sends",
        _ => null,
    };

    /// <summary>A Totals message's figures.</summary>
    public ConnectionTotals AsTotals() => new(A, Code, B, C, D, E);

    public void WriteTo(Span<byte> destination)
    {
        destination[..Size].Clear();
        destination[0] = (byte)Type;
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], Code);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], A);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], B);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], C);
        BinaryPrimitives.WriteInt64LittleEndian(destination[32..], D);
        BinaryPrimitives.WriteInt64LittleEndian(destination[40..], E);
        BinaryPrimitives.WriteInt64LittleEndian(destination[48..], F);
    }

    public static bool TryRead(ReadOnlySpan<byte> source, out ChannelMessage message)
    {
        if (source.Length != Size || source[0] is < (byte)ChannelMessageType.Ready or > (byte)ChannelMessageType.Release)
        {
            message = default;
            return false;
        }

        message = new ChannelMessage(
            (ChannelMessageType)source[0],
            BinaryPrimitives.ReadInt32LittleEndian(source[4..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[40..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[48..]));
        return true;
    }

    private static (long High, long Low) Encode(IPAddress? address)
    {
        if (address is null)
        {
            return (0, 0);
        }

        Span<byte> bytes = stackalloc byte[16];
        address.MapToIPv6().TryWriteBytes(bytes, out _);
        return (BinaryPrimitives.ReadInt64LittleEndian(bytes), BinaryPrimitives.ReadInt64LittleEndian(bytes[8..]));
    }
}
