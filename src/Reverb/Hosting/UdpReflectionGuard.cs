using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Reverb.Hosting;

/// <summary>
/// Decides whether a UDP datagram may be echoed. UDP echo is a classic reflector (the echo/chargen
/// packet storm, CVE-1999-0103; "Loop DoS", CVE-2024-2169): a forged source address turns every
/// reply into traffic aimed at a victim, and a forged source port of another echo-like service
/// starts a loop that never ends. So datagrams from those ports are never answered, and each
/// source address gets at most <c>rate</c> replies per second (a token bucket with a burst of the
/// same size). Memory is bounded: at most <see cref="DefaultMaxSources"/> addresses are tracked.
/// Thread-safe; allocates nothing per datagram once a source is known.
/// </summary>
internal sealed class UdpReflectionGuard
{
    /// <summary>About 50 bytes each: under a megabyte even when a spoofed flood fills the table.</summary>
    public const int DefaultMaxSources = 16_384;

    private readonly int _rate;
    private readonly int _maxSources;
    private readonly long _refillTicks;
    private readonly Dictionary<UInt128, Bucket> _buckets = [];
    private readonly Lock _gate = new();
    private long _lastSweep = long.MinValue;

    /// <param name="ratePerSecond">Replies per second per source address, also the burst; 0: unlimited.</param>
    /// <param name="maxSources">Cap on tracked source addresses.</param>
    public UdpReflectionGuard(int ratePerSecond, int maxSources = DefaultMaxSources)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ratePerSecond);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSources, 1);
        _rate = ratePerSecond;
        _maxSources = maxSources;

        // Burst == rate, so an empty bucket is full again after one second: an entry idle that long
        // is the same as no entry, and may be dropped without changing any decision.
        _refillTicks = Stopwatch.Frequency;
    }

    /// <summary>The classic small services (RFC 862-865, 867, 868) that answer anything sent to them, and port 0, which no real sender uses.</summary>
    public static IReadOnlyList<int> ServicePorts { get; } = [0, 7, 9, 13, 17, 19, 37];

    public int TrackedSources
    {
        get
        {
            lock (_gate)
            {
                return _buckets.Count;
            }
        }
    }

    public static bool IsServicePort(int port) => port is 0 or 7 or 9 or 13 or 17 or 19 or 37;

    /// <summary>The source port of a received datagram (IPv4 or IPv6), read without allocating.</summary>
    public static int PortOf(SocketAddress source) => BinaryPrimitives.ReadUInt16BigEndian(source.Buffer.Span[2..]);

    /// <param name="source">Where the datagram came from.</param>
    /// <param name="timestamp">Now, in <see cref="Stopwatch"/> ticks.</param>
    public UdpRefusal Check(SocketAddress source, long timestamp)
    {
        if (IsServicePort(PortOf(source)))
        {
            return UdpRefusal.ServicePort;
        }

        if (_rate == 0)
        {
            return UdpRefusal.None;
        }

        UInt128 key = AddressKey(source);
        lock (_gate)
        {
            ref Bucket bucket = ref CollectionsMarshal.GetValueRefOrNullRef(_buckets, key);
            if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref bucket))
            {
                if (_buckets.Count >= _maxSources && !SweepIdle(timestamp))
                {
                    return UdpRefusal.TooManySources;
                }

                _buckets[key] = new Bucket(_rate - 1, timestamp);
                return UdpRefusal.None;
            }

            // Two sockets' loops may take their timestamps in one order and the lock in the other: time never runs back.
            long elapsed = Math.Max(0, timestamp - bucket.Stamp);
            double tokens = Math.Min(_rate, bucket.Tokens + elapsed * (double)_rate / _refillTicks);
            bucket.Stamp += elapsed;
            if (tokens < 1)
            {
                bucket.Tokens = tokens;
                return UdpRefusal.RateLimited;
            }

            bucket.Tokens = tokens - 1;
            return UdpRefusal.None;
        }
    }

    /// <summary>
    /// Drops sources idle for long enough that their bucket is full again. Runs at most once a second
    /// (a spoofed flood of new addresses must not turn every datagram into a scan of the table);
    /// returns whether there is room now.
    /// </summary>
    private bool SweepIdle(long timestamp)
    {
        if (_lastSweep != long.MinValue && timestamp - _lastSweep < _refillTicks)
        {
            return false;
        }

        _lastSweep = timestamp;
        foreach ((UInt128 key, Bucket bucket) in _buckets)
        {
            if (timestamp - bucket.Stamp >= _refillTicks)
            {
                _buckets.Remove(key);
            }
        }

        return _buckets.Count < _maxSources;
    }

    /// <summary>The source address as 128 bits; IPv4 as IPv4-mapped IPv6, so both views of one sender share a bucket.</summary>
    private static UInt128 AddressKey(SocketAddress source)
    {
        ReadOnlySpan<byte> bytes = source.Buffer.Span;
        return source.Family == AddressFamily.InterNetwork
            ? ((UInt128)0xFFFF << 32) | BinaryPrimitives.ReadUInt32BigEndian(bytes[4..])
            : BinaryPrimitives.ReadUInt128BigEndian(bytes.Slice(8, 16));
    }

    private record struct Bucket(double Tokens, long Stamp);
}
