using System.Globalization;

namespace Reverb.Proxy;

/// <summary>The one-line reason a log gives for a refused PROXY header.</summary>
internal static class ProxyHeaderErrorTexts
{
    public static string ToText(this ProxyHeaderError error) => error switch
    {
        ProxyHeaderError.None => "no error",
        ProxyHeaderError.NotProxy => "no PROXY protocol header (the connection did not come through the proxy)",
        ProxyHeaderError.V1Malformed => "PROXY v1 header is malformed",
        ProxyHeaderError.V1NonPrintable => "PROXY v1 header has a non-printable byte",
        ProxyHeaderError.V1Fields => "PROXY v1 header needs TCP4|TCP6 SRC DST SPORT DPORT",
        ProxyHeaderError.V1Address => "PROXY v1 header has an invalid address or port",
        ProxyHeaderError.V1TooLong => "PROXY v1 header is longer than 107 bytes",
        ProxyHeaderError.V2Signature => "PROXY v2 signature is wrong",
        ProxyHeaderError.V2VersionOrCommand => "PROXY v2 version or command is unknown",
        ProxyHeaderError.V2Family => "PROXY v2 address family is not TCP over IPv4 or IPv6",
        ProxyHeaderError.V2AddressTooShort => "PROXY v2 address block is too short for its address family",
        ProxyHeaderError.Closed => "connection closed before its PROXY protocol header was complete",
        ProxyHeaderError.ConnectionFailed => "connection failed before its PROXY protocol header",
        ProxyHeaderError.Timeout => "no complete PROXY protocol header in time",
        _ => "unknown PROXY header error",
    };

    /// <summary>As <see cref="ToText(ProxyHeaderError)"/>, naming the time allowed for <see cref="ProxyHeaderError.Timeout"/>.</summary>
    public static string ToText(this ProxyHeaderError error, TimeSpan timeout) => error == ProxyHeaderError.Timeout
        ? string.Create(CultureInfo.InvariantCulture, $"no complete PROXY protocol header within {timeout.TotalSeconds:0.#} s")
        : error.ToText();
}
