using System.Net;
using Reverb.Bench;

namespace Reverb.Tests.Bench;

public sealed class SourceAddressPlanTests
{
    [Theory]
    [InlineData(1_000, 28_232, 0)]
    [InlineData(22_000, 28_232, 0)]
    [InlineData(30_000, 28_232, 2)]
    [InlineData(100_000, 28_232, 5)]
    public void Extra_sources_only_when_one_address_runs_out_of_ports(int connections, int ports, int expected)
    {
        Assert.Equal(expected, SourceAddressPlan.SourcesForConnections(connections, ports));
    }

    [Fact]
    public void Churn_on_loopback_spreads_over_127_0_0_2_and_up()
    {
        var plan = SourceAddressPlan.For(Settings(IPAddress.Loopback, BenchWorkload.Churn));

        Assert.Equal(SourceAddressPlan.ChurnSources, plan.SourceCount);
        Assert.Equal(IPAddress.Parse("127.0.0.2"), plan.SourceFor(0)!.Address);
        Assert.Equal(IPAddress.Parse("127.0.0.3"), plan.SourceFor(1)!.Address);
        Assert.Equal(IPAddress.Parse("127.0.0.2"), plan.SourceFor(SourceAddressPlan.ChurnSources)!.Address);
    }

    [Fact]
    public void Pingpong_lets_the_kernel_choose()
    {
        var plan = SourceAddressPlan.For(Settings(IPAddress.Loopback, BenchWorkload.Pingpong));

        Assert.Null(plan.SourceFor(0));
    }

    private static BenchSettings Settings(IPAddress address, BenchWorkload workload) => new(
        new IPEndPoint(address, 7), workload, 10, 64, TimeSpan.FromSeconds(1), TimeSpan.Zero, 1, 1, TimeSpan.FromSeconds(1));
}
