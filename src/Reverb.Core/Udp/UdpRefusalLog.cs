using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Reverb.Udp;

/// <summary>
/// Counts refused datagrams and reports them at a bounded rate: the first refusal of each reason at
/// once, then one summary line per reason at most every <see cref="Interval"/>. A flood must never
/// become a flood of log lines. Thread-safe; allocates only when it writes a line.
/// </summary>
internal sealed class UdpRefusalLog
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly ILogger _logger;
    private readonly int _rate;
    private readonly Lock _gate = new();
    private readonly Pending[] _pending = new Pending[Enum.GetValues<UdpRefusal>().Length];
    private long _total;

    public UdpRefusalLog(ILogger logger, int ratePerSecond)
    {
        _logger = logger;
        _rate = ratePerSecond;
        for (int i = 0; i < _pending.Length; i++)
        {
            _pending[i] = new Pending();
        }
    }

    public long Total => Interlocked.Read(ref _total);

    public void Refused(UdpRefusal reason, SocketAddress source, long timestamp)
    {
        Interlocked.Increment(ref _total);
        lock (_gate)
        {
            Pending pending = _pending[(int)reason];
            pending.Count++;
            pending.Remember(source);
            if (pending.LastReport == long.MinValue || Stopwatch.GetElapsedTime(pending.LastReport, timestamp) >= Interval)
            {
                Report(reason, pending, timestamp);
            }
        }
    }

    /// <summary>Reports the counts that waited for their interval; call periodically and once at the end (<paramref name="force"/>).</summary>
    public void Flush(long timestamp, bool force = false)
    {
        lock (_gate)
        {
            for (int i = 0; i < _pending.Length; i++)
            {
                Pending pending = _pending[i];
                if (pending.Count > 0 && (force || Stopwatch.GetElapsedTime(pending.LastReport, timestamp) >= Interval))
                {
                    Report((UdpRefusal)i, pending, timestamp);
                }
            }
        }
    }

    private void Report(UdpRefusal reason, Pending pending, long timestamp)
    {
        UdpLog.Refused(_logger, pending.Count, Display(pending.LastSource), pending.SeveralSources ? " and other sources" : string.Empty, Describe(reason), Interval.TotalSeconds);
        pending.Count = 0;
        pending.SeveralSources = false;
        pending.LastReport = timestamp;
    }

    private string Describe(UdpRefusal reason) => reason switch
    {
        UdpRefusal.ServicePort => "source port is a built-in service: loop protection",
        UdpRefusal.RateLimited => $"over --udp-rate {_rate} replies/s for that source address",
        UdpRefusal.TooManySources => $"{UdpReflectionGuard.DefaultMaxSources} sources already tracked and the shared {_rate} replies/s for new ones spent",
        _ => reason.ToString(),
    };

    /// <summary>host:port, with IPv4-mapped IPv6 addresses (from a dual-stack socket) shown as plain IPv4.</summary>
    internal static string Display(SocketAddress address)
    {
        var template = new IPEndPoint(address.Family == AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any, 0);
        var endpoint = (IPEndPoint)template.Create(address);
        return endpoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port).ToString() : endpoint.ToString();
    }

    /// <summary>What is waiting to be reported for one reason.</summary>
    private sealed class Pending
    {
        public long Count;
        public bool SeveralSources;
        public long LastReport = long.MinValue;
        public readonly SocketAddress LastSource = new(AddressFamily.InterNetworkV6);

        /// <summary>Copies the source (the caller reuses its SocketAddress for the next datagram).</summary>
        public void Remember(SocketAddress source)
        {
            ReadOnlySpan<byte> bytes = source.Buffer.Span[..source.Size];
            if (Count > 1 && !bytes.SequenceEqual(LastSource.Buffer.Span[..LastSource.Size]))
            {
                SeveralSources = true;
            }

            bytes.CopyTo(LastSource.Buffer.Span);
            LastSource.Size = source.Size;
        }
    }
}
