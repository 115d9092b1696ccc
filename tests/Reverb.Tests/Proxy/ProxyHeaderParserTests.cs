using System.Net;
using System.Text;
using Reverb.Proxy;

namespace Reverb.Tests.Proxy;

public sealed class ProxyHeaderParserTests
{
    [Theory]
    [InlineData("PROXY TCP4 203.0.113.7 192.0.2.1 4242 7\r\n", "203.0.113.7:4242", "192.0.2.1:7")]
    [InlineData("PROXY TCP6 2001:db8::1 2001:db8::2 65535 7\r\n", "[2001:db8::1]:65535", "[2001:db8::2]:7")]
    public void Parses_v1_addresses(string line, string source, string destination)
    {
        ProxyHeader header = ProxyHeaderParser.ParseV1(Encoding.ASCII.GetBytes(line));
        Assert.Equal(source, header.Source!.ToString());
        Assert.Equal(destination, header.Destination!.ToString());
    }

    [Fact]
    public void V1_unknown_is_a_header_without_addresses()
    {
        Assert.Null(ProxyHeaderParser.ParseV1("PROXY UNKNOWN\r\n"u8).Source);
    }

    [Theory]
    [InlineData("PROXY TCP4 203.0.113.7 192.0.2.1 4242\r\n")]
    [InlineData("PROXY TCP4 2001:db8::1 192.0.2.1 4242 7\r\n")]
    [InlineData("PROXY TCP4 203.0.113.7 192.0.2.1 70000 7\r\n")]
    [InlineData("PROXY TCP4 203.0.113.7 192.0.2.1 04242 7\r\n")]
    [InlineData("PROXY UDP4 203.0.113.7 192.0.2.1 4242 7\r\n")]
    [InlineData("PROXY TCP4 203.0.113.7 192.0.2.1 4242 7\n")]
    [InlineData("PROXY TCP4 203.0.113.7\u001b 192.0.2.1 4242 7\r\n")]
    public void Rejects_malformed_v1(string line)
    {
        Assert.Throws<ProxyProtocolException>(() => ProxyHeaderParser.ParseV1(Encoding.ASCII.GetBytes(line)));
    }

    [Fact]
    public void Parses_v2_tcp4_and_skips_tlvs()
    {
        byte[] header = V2(command: 1, family: 0x11, [203, 0, 113, 7, 192, 0, 2, 1, 0x10, 0x92, 0, 7, /* TLV */ 0x04, 0, 1, 0xff]);
        int length = ProxyHeaderParser.V2AddressLength(header.AsSpan(0, 16));
        ProxyHeader parsed = ProxyHeaderParser.ParseV2(header.AsSpan(0, 16), header.AsSpan(16, length));
        Assert.Equal(new IPEndPoint(IPAddress.Parse("203.0.113.7"), 4242), parsed.Source);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 7), parsed.Destination);
    }

    [Fact]
    public void Parses_v2_tcp6_and_local()
    {
        byte[] addresses = new byte[36];
        IPAddress.Parse("2001:db8::1").GetAddressBytes().CopyTo(addresses, 0);
        IPAddress.Parse("2001:db8::2").GetAddressBytes().CopyTo(addresses, 16);
        addresses[32] = 0x1f;
        addresses[33] = 0x90;
        addresses[35] = 7;
        byte[] header = V2(command: 1, family: 0x21, addresses);
        Assert.Equal("[2001:db8::1]:8080", ProxyHeaderParser.ParseV2(header.AsSpan(0, 16), header.AsSpan(16)).Source!.ToString());

        byte[] local = V2(command: 0, family: 0x00, []);
        Assert.Null(ProxyHeaderParser.ParseV2(local.AsSpan(0, 16), local.AsSpan(16)).Source);
    }

    [Fact]
    public void Rejects_a_wrong_v2_signature_version_or_family()
    {
        byte[] header = V2(command: 1, family: 0x11, new byte[12]);
        header[3] ^= 1;
        Assert.Throws<ProxyProtocolException>(() => ProxyHeaderParser.V2AddressLength(header.AsSpan(0, 16)));

        byte[] version3 = V2(command: 1, family: 0x11, new byte[12]);
        version3[12] = 0x31;
        Assert.Throws<ProxyProtocolException>(() => ProxyHeaderParser.V2AddressLength(version3.AsSpan(0, 16)));

        byte[] udp = V2(command: 1, family: 0x12, new byte[12]);
        Assert.Throws<ProxyProtocolException>(() => ProxyHeaderParser.ParseV2(udp.AsSpan(0, 16), udp.AsSpan(16)));
    }

    public static byte[] V2(int command, byte family, byte[] addresses)
    {
        byte[] header = new byte[16 + addresses.Length];
        "\r\n\r\n\0\r\nQUIT\n"u8.CopyTo(header);
        header[12] = (byte)(0x20 | command);
        header[13] = family;
        header[14] = (byte)(addresses.Length >> 8);
        header[15] = (byte)addresses.Length;
        addresses.CopyTo(header, 16);
        return header;
    }
}
