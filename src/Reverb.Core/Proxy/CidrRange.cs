using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Reverb.Proxy;

/// <summary>
/// An address range in CIDR notation (192.0.2.0/24, 2001:db8::/32; a bare address is a range of
/// one), for --trusted-proxy. Kept as the 16 network bytes of its IPv6 form (IPv4 as IPv4-mapped
/// IPv6, ::ffff:a.b.c.d, with the prefix length counted from there) and a prefix length, so an
/// IPv4 peer matches whether a socket names it as IPv4 or as IPv4-mapped IPv6, and a check needs
/// no allocation: <see cref="Contains(ReadOnlySpan{byte})"/> takes the raw 16 bytes, as a forked
/// child holds them. (System.Net.IPNetwork has no IPv4-mapped equivalence and allocates per check.)
/// </summary>
internal readonly record struct CidrRange
{
    private const int MappedPrefix = 96;

    private CidrRange(UInt128 network, int prefixLength, bool isIPv4)
    {
        Network = network;
        PrefixLength = prefixLength;
        IsIPv4 = isIPv4;
    }

    /// <summary>The network as a 128-bit big-endian number (IPv4 as IPv4-mapped IPv6); host bits are zero.</summary>
    public UInt128 Network { get; }

    /// <summary>Leading bits that must match, 0-128, counted in the IPv6 form (an IPv4 /24 is 120).</summary>
    public int PrefixLength { get; }

    /// <summary>Written as IPv4 (and its prefix counted as IPv4) when given as IPv4.</summary>
    public bool IsIPv4 { get; }

    /// <summary>The 16 network bytes, in network order, for an allocation-free copy of this range.</summary>
    public void WriteNetwork(Span<byte> destination) => BinaryPrimitives.WriteUInt128BigEndian(destination, Network);

    /// <summary>Parses 192.0.2.0/24, 2001:db8::/32, ::ffff:192.0.2.0/120 or a bare address (a range of one).</summary>
    /// <exception cref="FormatException">Not a range, with a message naming what is wrong.</exception>
    public static CidrRange Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        string address = slash < 0 ? text : text[..slash];
        if (address.Length == 0 || address.Contains('%', StringComparison.Ordinal) || !IPAddress.TryParse(address, out IPAddress? ip)
            || !(ip.AddressFamily == AddressFamily.InterNetwork ? IsDottedQuad(address) : address.Contains(':', StringComparison.Ordinal)))
        {
            throw new FormatException($"'{text}' is not an address range: expected e.g. 192.0.2.0/24, 10.0.0.1 or 2001:db8::/32");
        }

        bool isIPv4 = ip.AddressFamily == AddressFamily.InterNetwork;
        int max = isIPv4 ? 32 : 128;
        int prefix = max;
        if (slash >= 0 && !(int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out prefix) && prefix <= max && text.Length - slash - 1 <= 3))
        {
            throw new FormatException($"'{text}': the prefix length after '/' must be a number from 0 to {max}");
        }

        UInt128 value = ToNumber(ip);
        int prefixLength = isIPv4 ? prefix + MappedPrefix : prefix;
        UInt128 network = value & Mask(prefixLength);
        if (network != value)
        {
            var suggested = new CidrRange(network, prefixLength, isIPv4);
            throw new FormatException($"'{text}' has bits set after the first {prefix}: did you mean {suggested}?");
        }

        return new CidrRange(network, prefixLength, isIPv4);
    }

    public bool Contains(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return Contains(ToNumber(address));
    }

    /// <summary>The 16 bytes of an IPv6 address in network order (IPv4 peers as IPv4-mapped), as a socket address holds them.</summary>
    public bool Contains(ReadOnlySpan<byte> ipv6) => Contains(BinaryPrimitives.ReadUInt128BigEndian(ipv6));

    public bool Contains(UInt128 address) => (address & Mask(PrefixLength)) == Network;

    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[16];
        WriteNetwork(bytes);
        var ip = new IPAddress(bytes);
        return IsIPv4
            ? string.Create(CultureInfo.InvariantCulture, $"{ip.MapToIPv4()}/{PrefixLength - MappedPrefix}")
            : string.Create(CultureInfo.InvariantCulture, $"{ip}/{PrefixLength}");
    }

    /// <summary>An address as a 128-bit number; IPv4 as IPv4-mapped IPv6.</summary>
    public static UInt128 ToNumber(IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.MapToIPv6().TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    private static UInt128 Mask(int prefixLength) => prefixLength == 0 ? UInt128.Zero : UInt128.MaxValue << (128 - prefixLength);

    // IPAddress.TryParse also takes "1", "1.2" and "0x7f.1" as IPv4: a range is written as four decimal numbers.
    private static bool IsDottedQuad(string text)
    {
        string[] parts = text.Split('.');
        return parts.Length == 4 && parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit) && (p.Length == 1 || p[0] != '0'));
    }
}
