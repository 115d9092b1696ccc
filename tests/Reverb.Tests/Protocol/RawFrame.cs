using System.Buffers.Binary;
using Reverb.Protocol;

namespace Reverb.Tests.Protocol;

/// <summary>
/// A channel frame written byte by byte, as only a broken or foreign peer would: for the tests that
/// check what the codec and the master do with frames no reverb would send. The layout is the one
/// <see cref="ChannelCodec"/> documents.
/// </summary>
internal static class RawFrame
{
    public static byte[] Of(byte kind, int code = 0, long a = 0, long b = 0, long c = 0, long d = 0, long e = 0, long f = 0)
    {
        byte[] frame = new byte[ChannelCodec.FrameSize];
        frame[0] = kind;
        BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(4), code);
        long[] slots = [a, b, c, d, e, f];
        for (int i = 0; i < slots.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(frame.AsSpan(8 + (8 * i)), slots[i]);
        }

        return frame;
    }

    public static byte[] Of<T>(T message)
        where T : IChannelMessage
    {
        byte[] frame = new byte[ChannelCodec.FrameSize];
        ChannelCodec.Write(message, frame);
        return frame;
    }
}
