using System.Net;

namespace Reverb.Proxy;

/// <summary>
/// --trusted-proxy: the peers whose PROXY headers are believed. Empty means every peer (the
/// behaviour of --proxy-protocol alone); otherwise a header from any other peer is rejected.
/// </summary>
internal sealed class TrustedProxies
{
    public TrustedProxies(IReadOnlyList<CidrRange> ranges) => Ranges = ranges;

    public static TrustedProxies Anyone { get; } = new([]);

    public IReadOnlyList<CidrRange> Ranges { get; }

    /// <summary>Whether a list was given (only then is the real client counted per source, from the header).</summary>
    public bool IsRestricted => Ranges.Count > 0;

    public bool Trusts(IPAddress? peer)
    {
        if (!IsRestricted)
        {
            return true;
        }

        if (peer is null)
        {
            return false;
        }

        UInt128 address = CidrRange.ToNumber(peer);
        foreach (CidrRange range in Ranges)
        {
            if (range.Contains(address))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Parses a comma- or space-separated list (REVERB_TRUSTED_PROXY) or repeated values.</summary>
    /// <exception cref="FormatException">One of them is not a range.</exception>
    public static TrustedProxies Parse(IEnumerable<string> values) =>
        new([.. values.SelectMany(v => v.Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Select(CidrRange.Parse)]);
}
