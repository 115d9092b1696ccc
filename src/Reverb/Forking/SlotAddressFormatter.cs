using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using Reverb.Net;

namespace Reverb.Forking;

/// <summary>
/// Writes a <see cref="SlotAddress"/> as UTF-8 text exactly as IPEndPoint.ToString does ("1.2.3.4:5",
/// "[2001:db8::1]:5", RFC 5952 for IPv6 with .NET's choice of when to show an embedded IPv4 address).
/// </summary>
/// <remarks>
/// Runs in a forked child, so it is allocation-free (a GC there could deadlock): IPAddress would do
/// the same work but needs an IPAddress instance, which is an allocation.
/// </remarks>
internal static unsafe class SlotAddressFormatter
{
    /// <summary>The longest endpoint text: "[" + 45 + "]:65535".</summary>
    public const int MaxLength = 53;

    private static ReadOnlySpan<byte> Hex => "0123456789abcdef"u8;

    /// <summary>Writes the endpoint and returns the bytes written; 0 for a family other than IPv4 or IPv6.</summary>
    public static int Write(in SlotAddress address, Span<byte> destination)
    {
        fixed (byte* bytes = address.Bytes)
        {
            var raw = new ReadOnlySpan<byte>(bytes, 16);
            int at;
            switch (address.Family)
            {
                case (ushort)AddressFamily.InterNetwork:
                    at = WriteIPv4(raw[..4], destination);
                    break;
                case (ushort)AddressFamily.InterNetworkV6:
                    destination[0] = (byte)'[';
                    at = 1 + WriteIPv6(raw, destination[1..]);
                    destination[at++] = (byte)']';
                    break;
                default:
                    return 0;
            }

            destination[at++] = (byte)':';
            address.Port.TryFormat(destination[at..], out int digits, default, CultureInfo.InvariantCulture);
            return at + digits;
        }
    }

    private static int WriteIPv4(ReadOnlySpan<byte> address, Span<byte> destination)
    {
        int at = 0;
        for (int i = 0; i < 4; i++)
        {
            if (i > 0)
            {
                destination[at++] = (byte)'.';
            }

            address[i].TryFormat(destination[at..], out int digits, default, CultureInfo.InvariantCulture);
            at += digits;
        }

        return at;
    }

    private static int WriteIPv6(ReadOnlySpan<byte> address, Span<byte> destination)
    {
        Span<ushort> groups = stackalloc ushort[8];
        for (int i = 0; i < 8; i++)
        {
            groups[i] = BinaryPrimitives.ReadUInt16BigEndian(address[(2 * i)..]);
        }

        if (!HasEmbeddedIPv4(groups))
        {
            return WriteGroups(groups, destination);
        }

        int at = WriteGroups(groups[..6], destination);
        if (destination[at - 1] != ':')
        {
            destination[at++] = (byte)':';
        }

        return at + WriteIPv4(address[12..16], destination[at..]);
    }

    // As .NET decides (IPv6AddressHelper.ShouldHaveIpv4Embedded): RFC 5952 section 5's
    // compatible and mapped forms, SIIT (::ffff:0:a.b.c.d) and ISATAP (x:x:x:x:0:5efe:a.b.c.d).
    private static bool HasEmbeddedIPv4(ReadOnlySpan<ushort> groups)
    {
        if (groups[0] == 0 && groups[1] == 0 && groups[2] == 0 && groups[3] == 0 && groups[6] != 0)
        {
            if (groups[4] == 0 && (groups[5] == 0 || groups[5] == 0xffff))
            {
                return true;
            }

            if (groups[4] == 0xffff && groups[5] == 0)
            {
                return true;
            }
        }

        return groups[4] == 0 && groups[5] == 0x5efe;
    }

    // RFC 5952: lowercase, no leading zeros, the longest run of two or more zero groups (the first of
    // equals) written "::".
    private static int WriteGroups(ReadOnlySpan<ushort> groups, Span<byte> destination)
    {
        int runStart = -1;
        int runLength = 0;
        int current = 0;
        for (int i = 0; i < groups.Length; i++)
        {
            current = groups[i] == 0 ? current + 1 : 0;
            if (current > runLength)
            {
                runLength = current;
                runStart = i - current + 1;
            }
        }

        if (runLength < 2)
        {
            runStart = -1;
        }

        int at = 0;
        for (int i = 0; i < groups.Length; i++)
        {
            if (i == runStart)
            {
                destination[at++] = (byte)':';
                destination[at++] = (byte)':';
                i += runLength - 1;
                continue;
            }

            if (i > 0 && destination[at - 1] != ':')
            {
                destination[at++] = (byte)':';
            }

            at += WriteHex(groups[i], destination[at..]);
        }

        return at;
    }

    private static int WriteHex(ushort value, Span<byte> destination)
    {
        int shift = 12;
        while (shift > 0 && (value >> shift) == 0)
        {
            shift -= 4;
        }

        int at = 0;
        for (; shift >= 0; shift -= 4)
        {
            destination[at++] = Hex[(value >> shift) & 0xf];
        }

        return at;
    }
}
