using System.Buffers.Binary;
using System.Net;

namespace Reverb.Supervision;

/// <summary>One fixed-size message between master and worker (the socket keeps message boundaries).</summary>
internal readonly record struct ChannelMessage(ChannelMessageType Type, int Code, long A, long B, long C)
{
    public const int Size = 32;

    public static ChannelMessage Ready(int pid) => new(ChannelMessageType.Ready, 0, pid, 0, 0);

    public static ChannelMessage Serve(long connectionId) => new(ChannelMessageType.Serve, 0, connectionId, 0, 0);

    public static ChannelMessage Done(long connectionId, long bytesIn, long bytesOut, int end) => new(ChannelMessageType.Done, end, connectionId, bytesIn, bytesOut);

    public static ChannelMessage Listen(int index, int count) => new(ChannelMessageType.Listen, 0, index, count, 0);

    public static ChannelMessage Shutdown(TimeSpan drain) => new(ChannelMessageType.Shutdown, 0, (long)drain.TotalMilliseconds, 0, 0);

    public static ChannelMessage Retire() => new(ChannelMessageType.Retire, 0, 0, 0, 0);

    /// <summary>The real client behind a proxy; a null source (a proxy's own health check) is sent as port -1.</summary>
    public static ChannelMessage Client(long connectionId, IPEndPoint? source)
    {
        if (source is null)
        {
            return new(ChannelMessageType.Client, -1, 0, 0, connectionId);
        }

        Span<byte> address = stackalloc byte[16];
        source.Address.MapToIPv6().TryWriteBytes(address, out _);
        return new(ChannelMessageType.Client, source.Port, BinaryPrimitives.ReadInt64LittleEndian(address), BinaryPrimitives.ReadInt64LittleEndian(address[8..]), connectionId);
    }

    /// <summary>The client address of a <see cref="ChannelMessageType.Client"/> message.</summary>
    public IPEndPoint? ClientEndPoint()
    {
        if (Code < 0)
        {
            return null;
        }

        Span<byte> address = stackalloc byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(address, A);
        BinaryPrimitives.WriteInt64LittleEndian(address[8..], B);
        var ip = new IPAddress(address);
        return new IPEndPoint(ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip, Code);
    }

    public void WriteTo(Span<byte> destination)
    {
        destination[..Size].Clear();
        destination[0] = (byte)Type;
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], Code);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], A);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], B);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], C);
    }

    public static bool TryRead(ReadOnlySpan<byte> source, out ChannelMessage message)
    {
        if (source.Length != Size || source[0] is < (byte)ChannelMessageType.Ready or > (byte)ChannelMessageType.Client)
        {
            message = default;
            return false;
        }

        message = new ChannelMessage(
            (ChannelMessageType)source[0],
            BinaryPrimitives.ReadInt32LittleEndian(source[4..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[8..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(source[24..]));
        return true;
    }
}
