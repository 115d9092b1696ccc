using System.Buffers.Binary;

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
        if (source.Length != Size || source[0] is < (byte)ChannelMessageType.Ready or > (byte)ChannelMessageType.Retire)
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
