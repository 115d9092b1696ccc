using System.Net;

namespace Reverb.Serving;

/// <summary>
/// --max-conns-per-source: how many connections each source address holds, and whether one more
/// may open (like systemd's MaxConnectionsPerSource and xinetd's per_source).
/// </summary>
internal sealed class SourceLimit : IConnectionAdmission
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IPAddress, int> _open = [];

    public SourceLimit(int max) => Max = max;

    public int Max { get; }

    public bool TryAdmit(IPAddress source)
    {
        IPAddress key = Normalise(source);
        lock (_gate)
        {
            _open.TryGetValue(key, out int count);
            if (count >= Max)
            {
                return false;
            }

            _open[key] = count + 1;
            return true;
        }
    }

    public ValueTask<bool> AdmitAsync(IPAddress source, CancellationToken cancellationToken) => ValueTask.FromResult(TryAdmit(source));

    public void Release(IPAddress source)
    {
        IPAddress key = Normalise(source);
        lock (_gate)
        {
            if (!_open.TryGetValue(key, out int count))
            {
                return;
            }

            if (count <= 1)
            {
                _open.Remove(key);
            }
            else
            {
                _open[key] = count - 1;
            }
        }
    }

    /// <summary>
    /// What counts as one source: an IPv4 address (a dual-stack socket names IPv4 clients as
    /// ::ffff:a.b.c.d; they count with their IPv4 selves), or an IPv6 /64 prefix: one site or
    /// host is usually given a whole /64, so counting single IPv6 addresses would be no limit at all.
    /// </summary>
    internal static IPAddress Normalise(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return address;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }
}
