using System.Net;
using System.Text;
using CsCheck;
using Reverb.Forking;
using Reverb.Net;
using Reverb.Proxy;

namespace Reverb.Tests.Proxy;

/// <summary>The one PROXY parser: strict v1 addresses, v2 of any announced length, never a throw.</summary>
public sealed class ProxyHeaderSpanParserTests
{
    [Theory]
    [InlineData("PROXY TCP4 203.0.113.7 192.0.2.1 4242 7\r\n", "203.0.113.7:4242")]
    [InlineData("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n", "0.0.0.0:0")]
    [InlineData("PROXY TCP6 2001:db8::1 2001:db8::2 65535 7\r\n", "[2001:db8::1]:65535")]
    [InlineData("PROXY TCP6 2001:DB8:0000:0:0:0:0:1 ::1 1 7\r\n", "[2001:db8::1]:1")]
    [InlineData("PROXY TCP6 ::ffff:192.0.2.1 :: 1 7\r\n", "[::ffff:192.0.2.1]:1")]
    [InlineData("PROXY TCP6 1:2:3:4:5:6:192.0.2.1 1:: 1 7\r\n", "[1:2:3:4:5:6:c000:201]:1")]
    [InlineData("PROXY TCP6 1:2:3:4:5:6:7:8 1::8 1 7\r\n", "[1:2:3:4:5:6:7:8]:1")]
    public void Parses_valid_v1_lines(string line, string source)
    {
        Assert.Equal(ProxyHeaderError.None, ProxyHeaderSpanParser.TryParseV1(Encoding.ASCII.GetBytes(line), out SlotAddress parsed, out _));
        Assert.Equal(source, parsed.ToEndPoint()!.ToString());
    }

    [Theory]
    [InlineData("PROXY TCP4 1 2 3 4\r\n")]
    [InlineData("PROXY TCP4 1.2.3 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4.5 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4 01.2.3.4 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4 256.2.3.4 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4 0x7f.0.0.1 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 -1 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 65536 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 01 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 +1 2\r\n")]
    [InlineData("PROXY TCP4 ::1 1.2.3.4 1 2\r\n")]
    [InlineData("PROXY TCP6 1.2.3.4 ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 1::2::3 ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 1:2:3:4:5:6:7 ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 1:2:3:4:5:6:7:8:: ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 12345::1 ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 :1 ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 1: ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 ::: ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 1:2:3:4:5:6:7:1.2.3.4 ::1 1 2\r\n")]
    [InlineData("PROXY TCP6 ::1.2.3 ::1 1 2\r\n")]
    public void Rejects_lax_v1_addresses_and_ports(string line)
    {
        Assert.Equal(ProxyHeaderError.V1Address, ProxyHeaderSpanParser.TryParseV1(Encoding.ASCII.GetBytes(line), out _, out _));
    }

    [Theory]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\n", (int)ProxyHeaderError.V1Malformed)]
    [InlineData("PROX TCP4 1.2.3.4 1.2.3.4 1 2\r\n", (int)ProxyHeaderError.V1Malformed)]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4\t1 2\r\n", (int)ProxyHeaderError.V1NonPrintable)]
    [InlineData("PROXY TCP4 1.2.3.4  1.2.3.4 1 2\r\n", (int)ProxyHeaderError.V1Fields)]
    [InlineData("PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n", (int)ProxyHeaderError.V1Fields)]
    [InlineData("PROXY UDP4 1.2.3.4 1.2.3.4 1 2\r\n", (int)ProxyHeaderError.V1Fields)]
    [InlineData("PROXY UNKNOWNX\r\n", (int)ProxyHeaderError.V1Fields)]
    [InlineData("PROXY UNKNOWN 1.2.3.4 whatever\r\n", (int)ProxyHeaderError.None)]
    public void Classifies_malformed_v1_lines(string line, int expected)
    {
        Assert.Equal((ProxyHeaderError)expected, ProxyHeaderSpanParser.TryParseV1(Encoding.ASCII.GetBytes(line), out _, out _));
    }

    [Fact]
    public void Parses_a_v2_header_longer_than_536_bytes_with_tlvs()
    {
        byte[] addresses = new byte[36 + 1000];
        IPAddress.Parse("2001:db8::7").GetAddressBytes().CopyTo(addresses, 0);
        IPAddress.Parse("2001:db8::1").GetAddressBytes().CopyTo(addresses, 16);
        addresses[32] = 0x10;
        addresses[33] = 0x92;
        addresses[35] = 7;
        addresses[36] = 0x04;
        addresses[38] = 0xff;
        byte[] header = ProxyHeaderParserTests.V2(command: 1, family: 0x21, addresses);
        Assert.Equal(ProxyHeaderError.None, ProxyHeaderSpanParser.TryParseV2(header, out SlotAddress source, out SlotAddress destination));
        Assert.Equal("[2001:db8::7]:4242", source.ToEndPoint()!.ToString());
        Assert.Equal("[2001:db8::1]:7", destination.ToEndPoint()!.ToString());
    }

    [Fact]
    public void Classifies_bad_v2_headers()
    {
        Assert.Equal(ProxyHeaderError.V2AddressTooShort, ProxyHeaderSpanParser.TryParseV2(ProxyHeaderParserTests.V2(1, 0x11, new byte[11]), out _, out _));
        Assert.Equal(ProxyHeaderError.V2AddressTooShort, ProxyHeaderSpanParser.TryParseV2(ProxyHeaderParserTests.V2(1, 0x21, new byte[35]), out _, out _));
        Assert.Equal(ProxyHeaderError.V2Family, ProxyHeaderSpanParser.TryParseV2(ProxyHeaderParserTests.V2(1, 0x12, new byte[12]), out _, out _));
        Assert.Equal(ProxyHeaderError.V2Family, ProxyHeaderSpanParser.TryParseV2(ProxyHeaderParserTests.V2(1, 0x31, new byte[216]), out _, out _));
        byte[] version = ProxyHeaderParserTests.V2(1, 0x11, new byte[12]);
        version[12] = 0x12;
        Assert.Equal(ProxyHeaderError.V2VersionOrCommand, ProxyHeaderSpanParser.TryParseV2(version, out _, out _));
        byte[] signature = ProxyHeaderParserTests.V2(1, 0x11, new byte[12]);
        signature[11] = 0;
        Assert.Equal(ProxyHeaderError.V2Signature, ProxyHeaderSpanParser.TryParseV2(signature, out _, out _));
        Assert.Equal(ProxyHeaderError.None, ProxyHeaderSpanParser.TryParseV2(ProxyHeaderParserTests.V2(0, 0x11, new byte[3]), out SlotAddress local, out _));
        Assert.Equal(SlotAddress.Unnamed, local.Family);
    }

    [Fact]
    public void Every_error_has_a_one_line_text()
    {
        foreach (ProxyHeaderError error in Enum.GetValues<ProxyHeaderError>())
        {
            string text = error.ToText();
            Assert.False(string.IsNullOrWhiteSpace(text));
            Assert.DoesNotContain('\n', text);
        }

        Assert.Equal("no complete PROXY protocol header within 10 s", ProxyHeaderError.Timeout.ToText(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void Arbitrary_bytes_never_throw_and_give_a_result_or_an_error()
    {
        Gen.Byte.Array[0, 120].Sample(bytes =>
        {
            ProxyHeaderError v1 = ProxyHeaderSpanParser.TryParseV1(bytes, out SlotAddress source, out _);
            Assert.True(Enum.IsDefined(v1));
            Assert.True(v1 != ProxyHeaderError.None || source.Family != SlotAddress.None);
            ProxyHeaderError v2 = ProxyHeaderSpanParser.TryParseV2(bytes, out source, out _);
            Assert.True(Enum.IsDefined(v2));
            Assert.True(v2 != ProxyHeaderError.None || source.Family != SlotAddress.None);
        }, iter: 50_000);
    }

    [Fact]
    public void Near_miss_v1_lines_never_throw()
    {
        // Mostly valid characters, so that the address and port parsers get deep inputs.
        Gen.Char["0123456789abcdefABCDEF:. "].Array[1, 90].Select(chars => new string(chars)).Sample(text =>
        {
            byte[] line = Encoding.ASCII.GetBytes("PROXY TCP6 " + text + "\r\n");
            ProxyHeaderError error = ProxyHeaderSpanParser.TryParseV1(line, out _, out _);
            Assert.True(Enum.IsDefined(error));
            ProxyHeaderError v4 = ProxyHeaderSpanParser.TryParseV1(Encoding.ASCII.GetBytes("PROXY TCP4 " + text.Replace(' ', '.') + " 1.2.3.4 1 2\r\n"), out _, out _);
            Assert.Contains(v4, new[] { ProxyHeaderError.None, ProxyHeaderError.V1Address, ProxyHeaderError.V1Malformed });
        }, iter: 20_000);
    }

    [Fact]
    public void Well_formed_headers_round_trip_to_the_same_addresses()
    {
        Gen<IPEndPoint> v4 = Gen.Select(Gen.Byte.Array[4], Gen.UShort, (bytes, port) => new IPEndPoint(new IPAddress(bytes), port));
        Gen<IPEndPoint> v6 = Gen.Select(Gen.Int[0, 3].Array[8], Gen.UShort.Array[8], Gen.UShort, (kinds, groups, port) =>
        {
            // Many zero groups, so that "::" and embedded IPv4 text come up.
            byte[] bytes = new byte[16];
            for (int i = 0; i < 8; i++)
            {
                ushort group = kinds[i] == 0 ? (ushort)0 : groups[i];
                bytes[2 * i] = (byte)(group >> 8);
                bytes[(2 * i) + 1] = (byte)group;
            }

            return new IPEndPoint(new IPAddress(bytes), port);
        });
        Gen.Select(Gen.Bool, v4, v4, v6, v6).Sample((ipv4, s4, d4, s6, d6) =>
        {
            (IPEndPoint source, IPEndPoint destination) = ipv4 ? (s4, d4) : (s6, d6);
            string line = $"PROXY {(ipv4 ? "TCP4" : "TCP6")} {source.Address} {destination.Address} {source.Port} {destination.Port}\r\n";
            Assert.Equal(ProxyHeaderError.None, ProxyHeaderSpanParser.TryParseV1(Encoding.ASCII.GetBytes(line), out SlotAddress s, out SlotAddress d));
            Assert.Equal(source, s.ToEndPoint());
            Assert.Equal(destination, d.ToEndPoint());

            int length = ipv4 ? 12 : 36;
            int size = ipv4 ? 4 : 16;
            byte[] addresses = new byte[length];
            source.Address.GetAddressBytes().CopyTo(addresses, 0);
            destination.Address.GetAddressBytes().CopyTo(addresses, size);
            addresses[2 * size] = (byte)(source.Port >> 8);
            addresses[(2 * size) + 1] = (byte)source.Port;
            addresses[(2 * size) + 2] = (byte)(destination.Port >> 8);
            addresses[(2 * size) + 3] = (byte)destination.Port;
            byte[] header = ProxyHeaderParserTests.V2(command: 1, family: ipv4 ? (byte)0x11 : (byte)0x21, addresses);
            Assert.Equal(ProxyHeaderError.None, ProxyHeaderSpanParser.TryParseV2(header, out s, out d));
            Assert.Equal(source, s.ToEndPoint());
            Assert.Equal(destination, d.ToEndPoint());
        }, iter: 10_000);
    }
}
