using System.Buffers.Binary;
using Reverb.Net;

namespace Reverb.Proxy;

/// <summary>
/// The one PROXY protocol parser (HAProxy's spec, versions 1 and 2), over spans, returning an error
/// code instead of throwing: a forked child runs it (allocation-free, it must neither allocate nor
/// throw there) and the managed <see cref="ProxyHeaderParser"/> wraps it for the other models.
/// </summary>
/// <remarks>
/// Strict, so that a client cannot pass itself off as someone else with text that merely resembles a
/// header: v1 addresses must be exactly four decimal octets (no leading zeros) for TCP4, or IPv6 text
/// as RFC 4291 writes it (hex groups, at most one "::", optionally a dotted quad at the end; no zone)
/// for TCP6; ports are 0-65535 without leading zeros. Hand-written because IPAddress.TryParse is both
/// lax (it takes "1" or "0x7f.1" as IPv4) and allocating.
/// </remarks>
internal static class ProxyHeaderSpanParser
{
    public const int V1MaxLength = 107;
    public const int V2FixedLength = 16;

    /// <summary>The longest v2 header: the fixed part and the largest length it can announce.</summary>
    public const int V2MaxLength = V2FixedLength + ushort.MaxValue;

    public static ReadOnlySpan<byte> V2Signature => "\r\n\r\n\0\r\nQUIT\n"u8;

    private static ReadOnlySpan<byte> V1Prefix => "PROXY "u8;

    /// <summary>Which version the first five bytes announce: 1, 2, or 0 for neither.</summary>
    public static int DetectVersion(ReadOnlySpan<byte> firstFive) =>
        firstFive.Length >= 5 && firstFive[..5].SequenceEqual(V1Prefix[..5]) ? 1
        : firstFive.Length >= 5 && firstFive[..5].SequenceEqual(V2Signature[..5]) ? 2
        : 0;

    /// <summary>
    /// Parses a whole v1 line, "PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\r\n" included. UNKNOWN gives
    /// both addresses the family <see cref="SlotAddress.Unnamed"/>.
    /// </summary>
    public static ProxyHeaderError TryParseV1(ReadOnlySpan<byte> line, out SlotAddress source, out SlotAddress destination)
    {
        source = default;
        destination = default;
        if (line.Length > V1MaxLength || !line.StartsWith(V1Prefix) || !line.EndsWith("\r\n"u8))
        {
            return ProxyHeaderError.V1Malformed;
        }

        ReadOnlySpan<byte> body = line[..^2];
        foreach (byte b in body)
        {
            if (b is < 0x20 or > 0x7e)
            {
                return ProxyHeaderError.V1NonPrintable;
            }
        }

        ReadOnlySpan<byte> rest = body[V1Prefix.Length..];
        ReadOnlySpan<byte> protocol = NextField(ref rest);
        if (protocol.SequenceEqual("UNKNOWN"u8))
        {
            // The spec has receivers ignore whatever follows UNKNOWN.
            source = new SlotAddress { Family = SlotAddress.Unnamed };
            destination = source;
            return ProxyHeaderError.None;
        }

        bool tcp4 = protocol.SequenceEqual("TCP4"u8);
        if ((!tcp4 && !protocol.SequenceEqual("TCP6"u8)) || body.Count((byte)' ') != 5)
        {
            return ProxyHeaderError.V1Fields;
        }

        ReadOnlySpan<byte> sourceText = NextField(ref rest);
        ReadOnlySpan<byte> destinationText = NextField(ref rest);
        ReadOnlySpan<byte> sourcePort = NextField(ref rest);
        ReadOnlySpan<byte> destinationPort = rest;
        return TryParseEndPoint(sourceText, sourcePort, tcp4, out source) && TryParseEndPoint(destinationText, destinationPort, tcp4, out destination)
            ? ProxyHeaderError.None
            : ProxyHeaderError.V1Address;
    }

    /// <summary>Checks the 16 fixed bytes of a v2 header and gives the length of the address block that follows.</summary>
    public static ProxyHeaderError TryGetV2AddressLength(ReadOnlySpan<byte> fixedPart, out int addressLength)
    {
        addressLength = 0;
        if (fixedPart.Length < V2FixedLength || !fixedPart[..12].SequenceEqual(V2Signature))
        {
            return ProxyHeaderError.V2Signature;
        }

        if (fixedPart[12] >> 4 != 2 || (fixedPart[12] & 0x0f) > 1)
        {
            return ProxyHeaderError.V2VersionOrCommand;
        }

        addressLength = BinaryPrimitives.ReadUInt16BigEndian(fixedPart[14..16]);
        return ProxyHeaderError.None;
    }

    /// <summary>
    /// Parses a v2 header from its (already checked) 16 fixed bytes and its address block; TLVs after
    /// the addresses are skipped. LOCAL, and PROXY with family UNSPEC, give <see cref="SlotAddress.Unnamed"/>.
    /// </summary>
    public static ProxyHeaderError TryParseV2(ReadOnlySpan<byte> fixedPart, ReadOnlySpan<byte> addresses, out SlotAddress source, out SlotAddress destination)
    {
        source = default;
        destination = default;
        bool local = (fixedPart[12] & 0x0f) == 0;
        byte familyAndTransport = fixedPart[13];
        if (local || familyAndTransport == 0x00)
        {
            source = new SlotAddress { Family = SlotAddress.Unnamed };
            destination = source;
            return ProxyHeaderError.None;
        }

        switch (familyAndTransport)
        {
            case 0x11:
                if (addresses.Length < 12)
                {
                    return ProxyHeaderError.V2AddressTooShort;
                }

                source = SlotAddress.FromIPv4(addresses[..4], BinaryPrimitives.ReadUInt16BigEndian(addresses[8..10]));
                destination = SlotAddress.FromIPv4(addresses[4..8], BinaryPrimitives.ReadUInt16BigEndian(addresses[10..12]));
                return ProxyHeaderError.None;
            case 0x21:
                if (addresses.Length < 36)
                {
                    return ProxyHeaderError.V2AddressTooShort;
                }

                source = SlotAddress.FromIPv6(addresses[..16], BinaryPrimitives.ReadUInt16BigEndian(addresses[32..34]));
                destination = SlotAddress.FromIPv6(addresses[16..32], BinaryPrimitives.ReadUInt16BigEndian(addresses[34..36]));
                return ProxyHeaderError.None;
            default:
                return ProxyHeaderError.V2Family;
        }
    }

    /// <summary>Parses a whole v2 header: fixed part, address block and TLVs, exactly.</summary>
    public static ProxyHeaderError TryParseV2(ReadOnlySpan<byte> header, out SlotAddress source, out SlotAddress destination)
    {
        source = default;
        destination = default;
        ProxyHeaderError error = TryGetV2AddressLength(header, out int length);
        if (error != ProxyHeaderError.None)
        {
            return error;
        }

        return header.Length != V2FixedLength + length
            ? ProxyHeaderError.V2AddressTooShort
            : TryParseV2(header[..V2FixedLength], header[V2FixedLength..], out source, out destination);
    }

    /// <summary>A strict dotted quad: exactly four decimal octets 0-255, "0" the only one starting with 0.</summary>
    public static bool TryParseIPv4(ReadOnlySpan<byte> text, Span<byte> address)
    {
        for (int octet = 0; octet < 4; octet++)
        {
            int end = text.IndexOf((byte)'.');
            if (octet == 3)
            {
                if (end >= 0)
                {
                    return false;
                }

                end = text.Length;
            }
            else if (end < 0)
            {
                return false;
            }

            if (!TryParseDecimal(text[..end], 3, 255, out int value))
            {
                return false;
            }

            address[octet] = (byte)value;
            text = octet == 3 ? default : text[(end + 1)..];
        }

        return true;
    }

    /// <summary>IPv6 text as RFC 4291 section 2.2 writes it (no zone): hex groups of 1-4 digits, at most one "::", an optional dotted quad last.</summary>
    public static bool TryParseIPv6(ReadOnlySpan<byte> text, Span<byte> address)
    {
        if (text.Length is < 2 or > 45)
        {
            return false;
        }

        Span<ushort> groups = stackalloc ushort[8];
        int count = 0;
        int gap = -1;
        int i = 0;
        if (text[0] == ':')
        {
            if (text[1] != ':')
            {
                return false;
            }

            gap = 0;
            i = 2;
        }

        while (i < text.Length)
        {
            int start = i;
            int value = 0;
            while (i < text.Length && i - start < 5 && HexValue(text[i]) is int digit and >= 0)
            {
                value = (value << 4) | digit;
                i++;
            }

            if (i < text.Length && text[i] == '.')
            {
                Span<byte> quad = stackalloc byte[4];
                if (count > 6 || !TryParseIPv4(text[start..], quad))
                {
                    return false;
                }

                groups[count++] = (ushort)((quad[0] << 8) | quad[1]);
                groups[count++] = (ushort)((quad[2] << 8) | quad[3]);
                i = text.Length;
                break;
            }

            if (i == start || i - start > 4 || count == 8)
            {
                return false;
            }

            groups[count++] = (ushort)value;
            if (i == text.Length)
            {
                break;
            }

            if (text[i] != ':')
            {
                return false;
            }

            i++;
            if (i < text.Length && text[i] == ':')
            {
                if (gap >= 0)
                {
                    return false;
                }

                gap = count;
                i++;
            }
            else if (i == text.Length)
            {
                return false;
            }
        }

        if (gap < 0 ? count != 8 : count > 7)
        {
            return false;
        }

        address[..16].Clear();
        int tail = gap < 0 ? 0 : count - gap;
        int head = count - tail;
        for (int g = 0; g < head; g++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(address[(2 * g)..], groups[g]);
        }

        for (int g = 0; g < tail; g++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(address[(2 * (8 - tail + g))..], groups[head + g]);
        }

        return true;
    }

    private static bool TryParseEndPoint(ReadOnlySpan<byte> address, ReadOnlySpan<byte> port, bool ipv4, out SlotAddress endpoint)
    {
        endpoint = default;
        if (!TryParseDecimal(port, 5, ushort.MaxValue, out int number))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        if (ipv4 ? !TryParseIPv4(address, bytes) : !TryParseIPv6(address, bytes))
        {
            return false;
        }

        endpoint = ipv4 ? SlotAddress.FromIPv4(bytes, (ushort)number) : SlotAddress.FromIPv6(bytes, (ushort)number);
        return true;
    }

    // 1 to maxDigits decimal digits, no leading zero unless the number is 0, at most max.
    private static bool TryParseDecimal(ReadOnlySpan<byte> text, int maxDigits, int max, out int value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > maxDigits || (text.Length > 1 && text[0] == '0'))
        {
            return false;
        }

        foreach (byte b in text)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            value = (value * 10) + (b - '0');
        }

        return value <= max;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };

    private static ReadOnlySpan<byte> NextField(ref ReadOnlySpan<byte> rest)
    {
        int space = rest.IndexOf((byte)' ');
        ReadOnlySpan<byte> field = space < 0 ? rest : rest[..space];
        rest = space < 0 ? default : rest[(space + 1)..];
        return field;
    }
}
