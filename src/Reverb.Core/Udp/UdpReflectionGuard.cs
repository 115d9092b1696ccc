using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Reverb.Udp;

/// <summary>
/// Decides whether a UDP datagram may be echoed. UDP echo is a classic reflector (the echo/chargen
/// packet storm, CVE-1999-0103; "Loop DoS", CVE-2024-2169): a forged source address turns every
/// reply into traffic aimed at a victim, and a forged source port of another echo-like service
/// starts a loop that never ends. So datagrams from those ports are never answered, and each
/// source address gets at most <c>rate</c> replies per second (a token bucket with a burst of the
/// same size). An IPv6 sender usually holds a whole /64, so IPv6 sources are counted per /64 prefix.
/// Memory is bounded: at most <see cref="DefaultMaxSources"/> sources are tracked. While the table is
/// full, sources tracked for longer than <see cref="MaxTrackedAge"/> make room (at most once a
/// second), and newcomers share one budget of <c>rate</c> replies per second, so senders that keep
/// re-sending can never lock newcomers out. Thread-safe; allocates nothing per datagram once a
/// source is known.
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
    private readonly long _maxAgeTicks;
    private long _lastSweep = long.MinValue;

    // Shared by every source that finds the table full; starts full.
    private Bucket _newcomers;

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
        _maxAgeTicks = (long)(MaxTrackedAge.TotalSeconds * Stopwatch.Frequency);
        _newcomers = new Bucket(ratePerSecond, 0, 0);
    }

    /// <summary>
    /// How long a source keeps its place in a full table. It may come back at once, with a fresh
    /// burst: so a sender evicted this way gets at most one burst more every this long.
    /// </summary>
    public static TimeSpan MaxTrackedAge { get; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Source ports never answered: services that answer anything sent to them, so that a datagram
    /// forged to come from one of them would bounce between it and this server forever: the classic
    /// small services (echo 7, discard 9, systat 11, daytime 13, qotd 17, chargen 19, time 37;
    /// RFC 862-868) and the responders named in "Loop DoS" (CVE-2024-2169: DNS 53, TFTP 69, NTP 123);
    /// and port 0, which no real sender uses.
    /// </summary>
    public static IReadOnlyList<int> ServicePorts { get; } = [0, 7, 9, 11, 13, 17, 19, 37, 53, 69, 123];

    /// <summary>The loop-protection list explained in one phrase, for --help and the startup line.</summary>
    public static string ServicePortsText { get; } =
        "0, 7 echo, 9 discard, 11 systat, 13 daytime, 17 qotd, 19 chargen, 37 time, 53 DNS, 69 TFTP, 123 NTP";

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

    /// <summary>Whether the source has a place of its own in the table (rather than the newcomers' shared budget).</summary>
    public bool Tracks(SocketAddress source)
    {
        lock (_gate)
        {
            return _buckets.ContainsKey(AddressKey(source));
        }
    }

    public static bool IsServicePort(int port) => port is 0 or 7 or 9 or 11 or 13 or 17 or 19 or 37 or 53 or 69 or 123;

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
                if (_buckets.Count >= _maxSources && !Sweep(timestamp))
                {
                    return Take(ref _newcomers, timestamp) ? UdpRefusal.None : UdpRefusal.TooManySources;
                }

                _buckets[key] = new Bucket(_rate - 1, timestamp, timestamp);
                return UdpRefusal.None;
            }

            return Take(ref bucket, timestamp) ? UdpRefusal.None : UdpRefusal.RateLimited;
        }
    }

    /// <summary>Refills <paramref name="bucket"/> for the time elapsed and takes one token if there is one.</summary>
    private bool Take(ref Bucket bucket, long timestamp)
    {
        // Two sockets' loops may take their timestamps in one order and the lock in the other: time never runs back.
        long elapsed = Math.Max(0, timestamp - bucket.Stamp);
        double tokens = Math.Min(_rate, bucket.Tokens + elapsed * (double)_rate / _refillTicks);
        bucket.Stamp += elapsed;
        if (tokens < 1)
        {
            bucket.Tokens = tokens;
            return false;
        }

        bucket.Tokens = tokens - 1;
        return true;
    }

    /// <summary>
    /// Drops sources idle for long enough that their bucket is full again, and sources tracked for
    /// longer than <see cref="MaxTrackedAge"/>. Runs at most once a second (a spoofed flood of new
    /// addresses must not turn every datagram into a scan of the table); returns whether there is room now.
    /// </summary>
    private bool Sweep(long timestamp)
    {
        if (_lastSweep != long.MinValue && timestamp - _lastSweep < _refillTicks)
        {
            return false;
        }

        _lastSweep = timestamp;
        foreach ((UInt128 key, Bucket bucket) in _buckets)
        {
            if (timestamp - bucket.Stamp >= _refillTicks || timestamp - bucket.Since >= _maxAgeTicks)
            {
                _buckets.Remove(key);
            }
        }

        return _buckets.Count < _maxSources;
    }

    /// <summary>
    /// The source as 128 bits: IPv4 as IPv4-mapped IPv6, so both views of one sender share a bucket;
    /// other IPv6 addresses by their /64 prefix (the low 64 bits zero), as one site holds a whole /64.
    /// </summary>
    private static UInt128 AddressKey(SocketAddress source)
    {
        const ulong Mapped = 0xFFFF;
        ReadOnlySpan<byte> bytes = source.Buffer.Span;
        if (source.Family == AddressFamily.InterNetwork)
        {
            return ((UInt128)Mapped << 32) | BinaryPrimitives.ReadUInt32BigEndian(bytes[4..]);
        }

        UInt128 address = BinaryPrimitives.ReadUInt128BigEndian(bytes.Slice(8, 16));
        return address >> 32 == Mapped ? address : address & ~(UInt128)ulong.MaxValue;
    }

    /// <param name="Since">When the source was first tracked (for the age limit on a full table).</param>
    private record struct Bucket(double Tokens, long Stamp, long Since);
}
