using Reverb.Forking;

namespace Reverb.Tests.Forking;

/// <summary>Counts this process's descriptors, so it runs alone.</summary>
[CollectionDefinition(nameof(DescriptorCounting), DisableParallelization = true)]
public sealed class DescriptorCounting
{
}

[Collection(nameof(DescriptorCounting))]
public sealed class ChildWarmUpTests
{
    [Fact]
    public void Warm_up_runs_every_scenario_as_expected_and_leaves_no_descriptor_open()
    {
        using var buffers = new ChildBuffers(65536);
        var settings = new ChildEchoSettings();
        ChildEchoLoop.WarmUp(settings, buffers);
        int before = Directory.GetFiles("/proc/self/fd").Length;
        Assert.Equal(ChildEchoLoop.WarmUpScenarios, ChildEchoLoop.WarmUp(settings, buffers));
        Assert.Equal(before, Directory.GetFiles("/proc/self/fd").Length);
    }
}
