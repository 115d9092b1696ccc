using System.Net;
using CsCheck;
using Reverb.Proxy;

namespace Reverb.Tests.Proxy;

/// <summary>The --trusted-proxy range: parsing, membership, IPv4-mapped IPv6, and properties over arbitrary input.</summary>
public sealed class CidrRangeTests
{
    [Theory]
    [InlineData("10.0.0.0/8", "10.255.1.2", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("10.0.0.0/8", "::ffff:10.1.2.3", true)]
    [InlineData("192.0.2.7", "192.0.2.7", true)]
    [InlineData("192.0.2.7", "192.0.2.8", false)]
    [InlineData("0.0.0.0/0", "203.0.113.9", true)]
    [InlineData("0.0.0.0/0", "2001:db8::1", false)]
    [InlineData("::ffff:10.0.0.0/104", "10.9.9.9", true)]
    [InlineData("2001:db8::/32", "2001:db8:ffff::1", true)]
    [InlineData("2001:db8::/32", "2001:db9::1", false)]
    [InlineData("::1", "::1", true)]
    [InlineData("::1", "127.0.0.1", false)]
    [InlineData("::/0", "127.0.0.1", true)]
    public void Contains(string range, string address, bool expected)
    {
        CidrRange parsed = CidrRange.Parse(range);
        Assert.Equal(expected, parsed.Contains(IPAddress.Parse(address)));
        Span<byte> bytes = stackalloc byte[16];
        IPAddress.Parse(address).MapToIPv6().TryWriteBytes(bytes, out _);
        Assert.Equal(expected, parsed.Contains(bytes));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/8")]
    [InlineData("10.0.0.0/")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.0/-1")]
    [InlineData("10.0.0.0/+8")]
    [InlineData("10.0.0.0/ 8")]
    [InlineData("10.0.0.1/8")]
    [InlineData("10.1")]
    [InlineData("0x0a.0.0.0/8")]
    [InlineData("010.0.0.0/8")]
    [InlineData("2001:db8::/129")]
    [InlineData("fe80::1%eth0")]
    [InlineData("example.com/8")]
    [InlineData("10.0.0.0/8/8")]
    public void Rejects_what_is_not_a_range_with_its_own_error(string text)
    {
        FormatException ex = Assert.Throws<FormatException>(() => CidrRange.Parse(text));
        Assert.Contains("'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Host_bits_set_are_refused_with_the_network_suggested()
    {
        FormatException ex = Assert.Throws<FormatException>(() => CidrRange.Parse("192.0.2.77/24"));
        Assert.Contains("did you mean 192.0.2.0/24?", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Exposes_the_network_as_16_bytes_and_the_prefix_in_IPv6_bits_for_allocation_free_checks()
    {
        CidrRange range = CidrRange.Parse("192.0.2.0/24");
        byte[] network = new byte[16];
        range.WriteNetwork(network);
        Assert.Equal(IPAddress.Parse("::ffff:192.0.2.0").GetAddressBytes(), network);
        Assert.Equal(120, range.PrefixLength);
    }

    [Fact]
    public void Property_arbitrary_text_never_throws_anything_but_FormatException()
    {
        Gen.OneOf(Gen.String, Gen.String[Gen.Char["0123456789abcdef.:/%x -"], 0, 50])
            .Sample(text =>
            {
                try
                {
                    CidrRange.Parse(text);
                }
                catch (FormatException)
                {
                }
            });
    }

    [Fact]
    public void Property_a_range_round_trips_through_its_text_and_contains_exactly_the_addresses_sharing_its_prefix()
    {
        Gen<(byte[] Bytes, int Prefix, bool IPv4, byte[] Other)> ranges =
            from ipv4 in Gen.Bool
            from bytes in Gen.Byte.Array[ipv4 ? 4 : 16]
            from prefix in Gen.Int[0, ipv4 ? 32 : 128]
            from other in Gen.Byte.Array[ipv4 ? 4 : 16]
            select (bytes, prefix, ipv4, other);
        ranges.Sample(r =>
        {
            IPAddress network = Masked(r.Bytes, r.Prefix);
            CidrRange range = CidrRange.Parse($"{network}/{r.Prefix}");
            if (CidrRange.Parse(range.ToString()) != range || range.IsIPv4 != r.IPv4)
            {
                return false;
            }

            var other = new IPAddress(r.Other);
            bool samePrefix = Masked(r.Other, r.Prefix).Equals(network);
            return range.Contains(network) && range.Contains(other) == samePrefix
                && (!r.IPv4 || range.Contains(other.MapToIPv6()) == samePrefix);
        });
    }

    private static IPAddress Masked(byte[] bytes, int prefix)
    {
        byte[] masked = (byte[])bytes.Clone();
        for (int bit = prefix; bit < masked.Length * 8; bit++)
        {
            masked[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        return new IPAddress(masked);
    }
}
