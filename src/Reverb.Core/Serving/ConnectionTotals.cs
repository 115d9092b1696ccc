namespace Reverb.Serving;

/// <summary>
/// What one process (or a whole server) has done with its connections since it started. Accepted
/// counts every connection taken from the listen queue, rejected ones included.
/// </summary>
internal readonly record struct ConnectionTotals(
    long Accepted,
    long Active,
    long RejectedPerSource,
    long RejectedProxyHeader,
    long BytesIn,
    long BytesOut)
{
    public static ConnectionTotals operator +(ConnectionTotals a, ConnectionTotals b) => new(
        a.Accepted + b.Accepted,
        a.Active + b.Active,
        a.RejectedPerSource + b.RejectedPerSource,
        a.RejectedProxyHeader + b.RejectedProxyHeader,
        a.BytesIn + b.BytesIn,
        a.BytesOut + b.BytesOut);
}
