using Reverb.Net;

namespace Reverb.Proxy;

/// <summary>
/// PROXY protocol headers (HAProxy's spec, versions 1 and 2) for the managed models: a thin wrapper
/// that turns <see cref="ProxyHeaderSpanParser"/>'s results into endpoints and its error codes into
/// <see cref="ProxyProtocolException"/>s, so that every model parses with the same strict code.
/// </summary>
internal static class ProxyHeaderParser
{
    public const int V1MaxLength = ProxyHeaderSpanParser.V1MaxLength;
    public const int V2FixedLength = ProxyHeaderSpanParser.V2FixedLength;

    /// <summary>Which version the first five bytes announce: 1, 2, or 0 for neither.</summary>
    public static int DetectVersion(ReadOnlySpan<byte> firstFive) => ProxyHeaderSpanParser.DetectVersion(firstFive);

    /// <summary>Parses a whole v1 line, "PROXY TCP4 1.2.3.4 5.6.7.8 1111 2222\r\n" included.</summary>
    public static ProxyHeader ParseV1(ReadOnlySpan<byte> line) =>
        ToHeader(ProxyHeaderSpanParser.TryParseV1(line, out SlotAddress source, out SlotAddress destination), source, destination);

    /// <summary>The length of the address block that follows the 16 fixed bytes of a v2 header.</summary>
    public static int V2AddressLength(ReadOnlySpan<byte> fixedPart)
    {
        ThrowIfError(ProxyHeaderSpanParser.TryGetV2AddressLength(fixedPart, out int length));
        return length;
    }

    /// <summary>Parses a v2 header from its 16 fixed bytes and its address block (TLVs after the addresses are skipped).</summary>
    public static ProxyHeader ParseV2(ReadOnlySpan<byte> fixedPart, ReadOnlySpan<byte> addresses) =>
        ToHeader(ProxyHeaderSpanParser.TryParseV2(fixedPart, addresses, out SlotAddress source, out SlotAddress destination), source, destination);

    private static ProxyHeader ToHeader(ProxyHeaderError error, SlotAddress source, SlotAddress destination)
    {
        ThrowIfError(error);
        return new ProxyHeader(source.ToEndPoint(), destination.ToEndPoint());
    }

    private static void ThrowIfError(ProxyHeaderError error)
    {
        if (error != ProxyHeaderError.None)
        {
            throw new ProxyProtocolException(error.ToText());
        }
    }
}
