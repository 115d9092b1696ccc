using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Reverb.Proxy;

/// <summary>
/// Parses PROXY protocol headers (HAProxy's spec, versions 1 and 2). Strict: anything that is not
/// exactly a valid header is rejected, so a client cannot pass itself off as someone else by
/// sending text that merely resembles one.
/// </summary>
internal static class ProxyHeaderParser
{
    public const int V1MaxLength = 107;
    public const int V2FixedLength = 16;

    private static ReadOnlySpan<byte> V2Signature => "\r\n\r\n\0\r\nQUIT\n"u8;

    private static ReadOnlySpan<byte> V1Prefix => "PROXY "u8;

    /// <summary>Which version the first five bytes announce: 1, 2, or 0 for neither.</summary>
    public static int DetectVersion(ReadOnlySpan<byte> firstFive) =>
        firstFive.SequenceEqual(V1Prefix[..5]) ? 1 : firstFive.SequenceEqual(V2Signature[..5]) ? 2 : 0;

    /// <summary>Parses a whole v1 line, "PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\r\n" included.</summary>
    public static ProxyHeader ParseV1(ReadOnlySpan<byte> line)
    {
        if (line.Length > V1MaxLength || !line.StartsWith(V1Prefix) || !line.EndsWith("\r\n"u8))
        {
            throw new ProxyProtocolException("PROXY v1 header is malformed");
        }

        foreach (byte b in line[..^2])
        {
            if (b is < 0x20 or > 0x7e)
            {
                throw new ProxyProtocolException("PROXY v1 header has a non-printable byte");
            }
        }

        string[] fields = Encoding.ASCII.GetString(line[..^2]).Split(' ');
        if (fields.Length >= 2 && fields[1] == "UNKNOWN")
        {
            return default;
        }

        if (fields.Length != 6 || fields[1] is not ("TCP4" or "TCP6"))
        {
            throw new ProxyProtocolException("PROXY v1 header needs TCP4|TCP6 SRC DST SPORT DPORT");
        }

        AddressFamily family = fields[1] == "TCP4" ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6;
        return new ProxyHeader(EndPoint(fields[2], fields[4], family), EndPoint(fields[3], fields[5], family));
    }

    /// <summary>The length of the address block that follows the 16 fixed bytes of a v2 header.</summary>
    public static int V2AddressLength(ReadOnlySpan<byte> fixedPart)
    {
        if (!fixedPart[..12].SequenceEqual(V2Signature))
        {
            throw new ProxyProtocolException("PROXY v2 signature is wrong");
        }

        if (fixedPart[12] >> 4 != 2 || (fixedPart[12] & 0x0f) > 1)
        {
            throw new ProxyProtocolException("PROXY v2 version or command is unknown");
        }

        return BinaryPrimitives.ReadUInt16BigEndian(fixedPart[14..16]);
    }

    /// <summary>Parses a v2 header from its 16 fixed bytes and its address block (TLVs after the addresses are skipped).</summary>
    public static ProxyHeader ParseV2(ReadOnlySpan<byte> fixedPart, ReadOnlySpan<byte> addresses)
    {
        bool local = (fixedPart[12] & 0x0f) == 0;
        byte familyAndTransport = fixedPart[13];
        if (local || familyAndTransport == 0x00)
        {
            return default;
        }

        switch (familyAndTransport)
        {
            case 0x11 when addresses.Length >= 12:
                return new ProxyHeader(
                    new IPEndPoint(new IPAddress(addresses[..4]), BinaryPrimitives.ReadUInt16BigEndian(addresses[8..10])),
                    new IPEndPoint(new IPAddress(addresses[4..8]), BinaryPrimitives.ReadUInt16BigEndian(addresses[10..12])));
            case 0x21 when addresses.Length >= 36:
                return new ProxyHeader(
                    new IPEndPoint(new IPAddress(addresses[..16]), BinaryPrimitives.ReadUInt16BigEndian(addresses[32..34])),
                    new IPEndPoint(new IPAddress(addresses[16..32]), BinaryPrimitives.ReadUInt16BigEndian(addresses[34..36])));
            default:
                throw new ProxyProtocolException($"PROXY v2 address family 0x{familyAndTransport:x2} is not TCP over IPv4 or IPv6");
        }
    }

    private static IPEndPoint EndPoint(string address, string port, AddressFamily family)
    {
        if (!IPAddress.TryParse(address, out IPAddress? ip) || ip.AddressFamily != family
            || !ushort.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out ushort number)
            || (port.Length > 1 && port[0] == '0'))
        {
            throw new ProxyProtocolException("PROXY v1 header has an invalid address or port");
        }

        return new IPEndPoint(ip, number);
    }
}
