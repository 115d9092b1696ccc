namespace Reverb.Proxy;

/// <summary>
/// Why a PROXY protocol header was refused. Plain numbers, so that a forked child can report one
/// through shared memory (ChildSlot.ProxyError) without allocating; <see cref="ProxyHeaderErrorTexts"/>
/// gives the words for logs.
/// </summary>
internal enum ProxyHeaderError
{
    /// <summary>No error: the header is valid.</summary>
    None = 0,

    /// <summary>The first bytes are neither a v1 nor a v2 signature.</summary>
    NotProxy = 1,

    /// <summary>A v1 line without the "PROXY " prefix or the CRLF ending, or longer than 107 bytes.</summary>
    V1Malformed = 2,

    /// <summary>A v1 line with a byte outside printable ASCII.</summary>
    V1NonPrintable = 3,

    /// <summary>A v1 line that is not "PROXY TCP4|TCP6 SRC DST SPORT DPORT" (nor UNKNOWN).</summary>
    V1Fields = 4,

    /// <summary>A v1 address that is not a strict dotted quad (TCP4) or IPv6 text (TCP6), or a bad port.</summary>
    V1Address = 5,

    /// <summary>No line feed within 107 bytes.</summary>
    V1TooLong = 6,

    /// <summary>The 12-byte v2 signature is wrong.</summary>
    V2Signature = 7,

    /// <summary>A v2 version other than 2 or a command other than LOCAL or PROXY.</summary>
    V2VersionOrCommand = 8,

    /// <summary>A v2 address family/transport other than TCP over IPv4 or IPv6 (or UNSPEC).</summary>
    V2Family = 9,

    /// <summary>A v2 address block shorter than its family's addresses.</summary>
    V2AddressTooShort = 10,

    /// <summary>The connection ended before the header was complete.</summary>
    Closed = 11,

    /// <summary>The connection failed (reset, ...) before the header was complete.</summary>
    ConnectionFailed = 12,

    /// <summary>The header did not arrive in time.</summary>
    Timeout = 13,
}
