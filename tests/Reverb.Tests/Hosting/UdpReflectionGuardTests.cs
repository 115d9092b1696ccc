using System.Diagnostics;
using System.Net;
using Reverb.Hosting;
using Reverb.Udp;

namespace Reverb.Tests.Hosting;

/// <summary>The UDP loop protection and per-source token bucket, on a simulated clock.</summary>
public sealed class UdpReflectionGuardTests
{
    private static readonly long Second = Stopwatch.Frequency;

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(13)]
    [InlineData(17)]
    [InlineData(19)]
    [InlineData(37)]
    [InlineData(11)]
    [InlineData(53)]
    [InlineData(69)]
    [InlineData(123)]
    public void Datagrams_from_built_in_service_ports_are_refused_even_without_a_rate_limit(int port)
    {
        var guard = new UdpReflectionGuard(ratePerSecond: 0);
        Assert.Equal(UdpRefusal.ServicePort, guard.Check(From("127.0.0.1", port), 0));
        Assert.Equal(UdpRefusal.ServicePort, guard.Check(From("::1", port), 0));
        Assert.Equal(UdpRefusal.None, guard.Check(From("127.0.0.1", 40_000 + port), 0));
    }

    [Fact]
    public void The_listed_service_ports_are_the_refused_ones()
    {
        Assert.Equal([0, 7, 9, 11, 13, 17, 19, 37, 53, 69, 123], UdpReflectionGuard.ServicePorts);
        foreach (int port in UdpReflectionGuard.ServicePorts.Where(p => p > 0))
        {
            Assert.Contains($"{port} ", UdpReflectionGuard.ServicePortsText + " ", StringComparison.Ordinal);
        }

        Assert.Equal(UdpReflectionGuard.ServicePorts, Enumerable.Range(0, 65536).Where(UdpReflectionGuard.IsServicePort));
    }

    [Fact]
    public void Reads_the_source_port_of_both_address_families()
    {
        Assert.Equal(54321, UdpReflectionGuard.PortOf(From("127.0.0.1", 54321)));
        Assert.Equal(7, UdpReflectionGuard.PortOf(From("::1", 7)));
    }

    [Fact]
    public void A_source_gets_a_burst_of_rate_replies_then_rate_per_second()
    {
        var guard = new UdpReflectionGuard(ratePerSecond: 10);
        SocketAddress source = From("192.0.2.1", 5000);
        long now = 1000 * Second;

        Assert.Equal(10, Enumerable.Range(0, 50).Count(_ => guard.Check(source, now) == UdpRefusal.None));
        Assert.Equal(UdpRefusal.RateLimited, guard.Check(source, now));

        // A timestamp taken earlier by another socket's loop earns nothing.
        Assert.Equal(UdpRefusal.RateLimited, guard.Check(source, now - Second));

        // A tenth of a second later: one more token.
        now += Second / 10;
        Assert.Equal(UdpRefusal.None, guard.Check(source, now));
        Assert.Equal(UdpRefusal.RateLimited, guard.Check(source, now));

        // Long idle: the burst again, never more.
        now += 60 * Second;
        Assert.Equal(10, Enumerable.Range(0, 50).Count(_ => guard.Check(source, now) == UdpRefusal.None));
    }

    [Fact]
    public void The_limit_is_per_address_not_per_port_and_IPv4_mapped_IPv6_is_the_same_sender()
    {
        var guard = new UdpReflectionGuard(ratePerSecond: 2);
        Assert.Equal(UdpRefusal.None, guard.Check(From("192.0.2.1", 5000), 0));
        Assert.Equal(UdpRefusal.None, guard.Check(From("192.0.2.1", 5001), 0));
        Assert.Equal(UdpRefusal.RateLimited, guard.Check(From("::ffff:192.0.2.1", 5002), 0));
        Assert.Equal(UdpRefusal.None, guard.Check(From("192.0.2.2", 5000), 0));
    }

    [Fact]
    public void Memory_is_bounded_and_idle_sources_are_evicted()
    {
        var guard = new UdpReflectionGuard(ratePerSecond: 5, maxSources: 3);
        long now = 1000 * Second;
        for (int i = 1; i <= 3; i++)
        {
            Assert.Equal(UdpRefusal.None, guard.Check(From($"192.0.2.{i}", 5000), now));
        }

        // A full table: newcomers share one budget of `rate` replies a second, and are not tracked.
        Assert.Equal(5, Enumerable.Range(10, 20).Count(i => guard.Check(From($"192.0.2.{i}", 5000), now) == UdpRefusal.None));
        Assert.Equal(UdpRefusal.TooManySources, guard.Check(From("192.0.2.9", 5000), now));
        Assert.Equal(3, guard.TrackedSources);

        // Two seconds on, every bucket is full again: the idle entries go, the newcomer is served.
        now += 2 * Second;
        Assert.Equal(UdpRefusal.None, guard.Check(From("192.0.2.9", 5000), now));
        Assert.Equal(1, guard.TrackedSources);
    }

    [Fact]
    public void Sources_that_keep_re_sending_cannot_lock_newcomers_out_of_a_full_table()
    {
        var guard = new UdpReflectionGuard(ratePerSecond: 5, maxSources: 3);
        long start = 1000 * Second;
        long tick = Second / 10;
        int newcomerReplies = 0;
        bool newcomerTracked = false;

        // Three sources send ten times a second, forever; a fourth sends once a second.
        for (long now = start; now < start + (20 * Second); now += tick)
        {
            for (int i = 1; i <= 3; i++)
            {
                guard.Check(From($"192.0.2.{i}", 5000), now);
            }

            if ((now - start) % Second == 0)
            {
                newcomerReplies += guard.Check(From("198.51.100.7", 5000), now) == UdpRefusal.None ? 1 : 0;
                newcomerTracked |= guard.Tracks(From("198.51.100.7", 5000));
            }
        }

        // Answered from the start (from the shared budget) and given a place of its own within
        // MaxTrackedAge. Once places rotate, a re-sender left without one may have spent the shared
        // budget in a second when the newcomer is between places: it may miss a reply then, not more.
        Assert.InRange(newcomerReplies, 18, 20);
        Assert.True(newcomerTracked, "the newcomer never got a place of its own");
    }

    [Fact]
    public void IPv6_sources_are_counted_per_64_prefix_and_IPv4_mapped_ones_per_address()
    {
        var guard = new UdpReflectionGuard(ratePerSecond: 2);
        Assert.Equal(UdpRefusal.None, guard.Check(From("2001:db8:1:2::1", 5000), 0));
        Assert.Equal(UdpRefusal.None, guard.Check(From("2001:db8:1:2:ffff:ffff:ffff:ffff", 5000), 0));
        Assert.Equal(UdpRefusal.RateLimited, guard.Check(From("2001:db8:1:2:abcd::9", 5000), 0));
        Assert.Equal(UdpRefusal.None, guard.Check(From("2001:db8:1:3::1", 5000), 0));

        Assert.Equal(UdpRefusal.None, guard.Check(From("::ffff:192.0.2.1", 5000), 0));
        Assert.Equal(UdpRefusal.None, guard.Check(From("::ffff:192.0.2.2", 5000), 0));
        Assert.Equal(UdpRefusal.None, guard.Check(From("::ffff:192.0.2.2", 5000), 0));
        Assert.Equal(UdpRefusal.None, guard.Check(From("192.0.2.1", 5000), 0));
        Assert.Equal(UdpRefusal.RateLimited, guard.Check(From("192.0.2.1", 5000), 0));
    }

    private static SocketAddress From(string address, int port) => new IPEndPoint(IPAddress.Parse(address), port).Serialize();
}
