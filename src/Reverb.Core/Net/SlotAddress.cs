using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Reverb.Net;

/// <summary>
/// An IP endpoint as plain bytes, so that it can live in shared memory and be written by a forked
/// child without allocating. <see cref="Family"/> 0 means "none".
/// </summary>
[StructLayout(LayoutKind.Sequential, Size = 24)]
internal unsafe struct SlotAddress
{
    /// <summary>No address (yet).</summary>
    public const ushort None = 0;

    /// <summary>A PROXY header that named no client (LOCAL or UNKNOWN: a proxy's health check).</summary>
    public const ushort Unnamed = 0xffff;

    public ushort Family;
    public ushort Port;
    public fixed byte Bytes[16];

    public static SlotAddress FromIPv4(ReadOnlySpan<byte> address, ushort port)
    {
        var result = new SlotAddress { Family = (ushort)AddressFamily.InterNetwork, Port = port };
        address[..4].CopyTo(new Span<byte>(result.Bytes, 16));
        return result;
    }

    public static SlotAddress FromIPv6(ReadOnlySpan<byte> address, ushort port)
    {
        var result = new SlotAddress { Family = (ushort)AddressFamily.InterNetworkV6, Port = port };
        address[..16].CopyTo(new Span<byte>(result.Bytes, 16));
        return result;
    }

    public static SlotAddress From(IPEndPoint? endpoint)
    {
        if (endpoint is null)
        {
            return default;
        }

        Span<byte> bytes = stackalloc byte[16];
        endpoint.Address.TryWriteBytes(bytes, out int written);
        return written == 4 ? FromIPv4(bytes, (ushort)endpoint.Port) : FromIPv6(bytes, (ushort)endpoint.Port);
    }

    /// <summary>The endpoint, for the master's logs and status (allocates: never call it in a child).</summary>
    public readonly IPEndPoint? ToEndPoint()
    {
        fixed (byte* bytes = Bytes)
        {
            return Family switch
            {
                (ushort)AddressFamily.InterNetwork => new IPEndPoint(new IPAddress(new ReadOnlySpan<byte>(bytes, 4)), Port),
                (ushort)AddressFamily.InterNetworkV6 => new IPEndPoint(new IPAddress(new ReadOnlySpan<byte>(bytes, 16)), Port),
                _ => null,
            };
        }
    }
}
