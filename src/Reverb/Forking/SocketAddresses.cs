using System.Buffers.Binary;
using System.Net.Sockets;
using Reverb.Interop;
using Reverb.Net;

namespace Reverb.Forking;

/// <summary>Turns the sockaddr that accept() filled in into a <see cref="SlotAddress"/>, without allocating.</summary>
internal static unsafe class SocketAddresses
{
    public static SlotAddress ToSlot(Posix.SocketAddress* address)
    {
        byte* bytes = (byte*)address;
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(bytes + 2, 2));
        return address->Family switch
        {
            // sockaddr_in: family, port, 4-byte address.
            (ushort)AddressFamily.InterNetwork => SlotAddress.FromIPv4(new ReadOnlySpan<byte>(bytes + 4, 4), port),

            // sockaddr_in6: family, port, flow info, 16-byte address, scope.
            10 => SlotAddress.FromIPv6(new ReadOnlySpan<byte>(bytes + 8, 16), port),
            _ => default,
        };
    }
}
