using System.Net;
using Reverb.Monitoring;
using Reverb.Serving;

namespace Reverb.Tests.Monitoring;

/// <summary>The per-source count itself: what counts as one address, and that places come back.</summary>
public sealed class SourceLimitTests
{
    [Fact]
    public void An_IPv4_client_counts_the_same_whether_or_not_a_dual_stack_socket_maps_it()
    {
        var limit = new SourceLimit(2);

        Assert.True(limit.TryAdmit(IPAddress.Parse("192.0.2.1")));
        Assert.True(limit.TryAdmit(IPAddress.Parse("::ffff:192.0.2.1")));
        Assert.False(limit.TryAdmit(IPAddress.Parse("192.0.2.1")));
        Assert.True(limit.TryAdmit(IPAddress.Parse("192.0.2.2")));

        limit.Release(IPAddress.Parse("::ffff:192.0.2.1"));
        Assert.True(limit.TryAdmit(IPAddress.Parse("192.0.2.1")));
    }

    [Fact]
    public void IPv6_clients_count_per_64_prefix()
    {
        var limit = new SourceLimit(2);

        Assert.True(limit.TryAdmit(IPAddress.Parse("2001:db8:1:2::1")));
        Assert.True(limit.TryAdmit(IPAddress.Parse("2001:db8:1:2:ffff::7")));
        Assert.False(limit.TryAdmit(IPAddress.Parse("2001:db8:1:2:abcd:1:2:3")));
        Assert.True(limit.TryAdmit(IPAddress.Parse("2001:db8:1:3::1")));

        limit.Release(IPAddress.Parse("2001:db8:1:2::99"));
        Assert.True(limit.TryAdmit(IPAddress.Parse("2001:db8:1:2::5")));
        Assert.False(limit.TryAdmit(IPAddress.Parse("2001:db8:1:2::5")));
    }

    [Fact]
    public void Releasing_an_address_that_holds_nothing_changes_nothing()
    {
        var limit = new SourceLimit(1);
        limit.Release(IPAddress.IPv6Loopback);

        Assert.True(limit.TryAdmit(IPAddress.IPv6Loopback));
        Assert.False(limit.TryAdmit(IPAddress.IPv6Loopback));
    }
}
