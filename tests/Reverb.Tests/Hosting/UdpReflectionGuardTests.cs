using System.Diagnostics;
using System.Net;
using Reverb.Hosting;

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
        Assert.Equal([0, 7, 9, 13, 17, 19, 37], UdpReflectionGuard.ServicePorts);
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
    public void Memory_is_bounded_idle_sources_are_evicted_and_a_full_table_of_active_ones_refuses_newcomers()
    {
        var guard = new UdpReflectionGuard(ratePerSecond: 5, maxSources: 3);
        long now = 1000 * Second;
        for (int i = 1; i <= 3; i++)
        {
            Assert.Equal(UdpRefusal.None, guard.Check(From($"192.0.2.{i}", 5000), now));
        }

        Assert.Equal(UdpRefusal.TooManySources, guard.Check(From("192.0.2.9", 5000), now));
        Assert.Equal(3, guard.TrackedSources);

        // Two seconds on, every bucket is full again: the idle entries go, the newcomer is served.
        now += 2 * Second;
        Assert.Equal(UdpRefusal.None, guard.Check(From("192.0.2.9", 5000), now));
        Assert.Equal(1, guard.TrackedSources);
    }

    private static SocketAddress From(string address, int port) => new IPEndPoint(IPAddress.Parse(address), port).Serialize();
}
