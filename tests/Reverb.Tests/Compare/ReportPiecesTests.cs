using Reverb.Commands;
using Reverb.Compare;

namespace Reverb.Tests.Compare;

public sealed class ReportPiecesTests
{
    [Fact]
    public void Stat_line_is_read_from_the_last_parenthesis_so_odd_command_names_do_not_shift_fields()
    {
        string stat = "4242 (we ird) (x)) S 17 4242 4242 0 -1 4194560 500 0 0 0 30 12 4 6 20 0 7 0 100 1000000 250 "
            + "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";

        ProcessSnapshot? snapshot = ProcessSnapshot.Parse(4242, stat);

        Assert.NotNull(snapshot);
        Assert.Equal(17, snapshot.ParentPid);
        Assert.Equal(42, snapshot.OwnCpuTicks);
        Assert.Equal(10, snapshot.ReapedChildrenCpuTicks);
        Assert.Equal(7, snapshot.Threads);
        Assert.Equal(250L * Environment.SystemPageSize, snapshot.RssBytes);
    }

    [Fact]
    public void Tree_cpu_counts_the_root_reaped_children_and_live_descendants_since_the_first_sample()
    {
        var before = new ProcessTreeSample(1, new Dictionary<int, ProcessSnapshot>
        {
            [1] = new(1, 0, 100, 50, 1, 1),
            [2] = new(2, 1, 10, 0, 1, 1),
        }, 0);
        var after = new ProcessTreeSample(1, new Dictionary<int, ProcessSnapshot>
        {
            [1] = new(1, 0, 110, 80, 1, 1), // +10 own, +30 from reaped children
            [2] = new(2, 1, 15, 0, 1, 1),   // +5
            [3] = new(3, 1, 7, 0, 2, 1),    // new: all 7
        }, 0);

        Assert.Equal(52, after.CpuTicksSince(before));
        Assert.Equal(3, after.ProcessCount);
        Assert.Equal(4, after.ThreadCount);
    }

    [Fact]
    public void Peer_text_is_split_at_the_first_equals_sign_and_gets_its_port()
    {
        ServerDefinition peer = ServerDefinition.ForPeer("epoll-c=/tmp/epoll_echo {port} 2 --x=y");

        Assert.Equal("epoll-c", peer.Name);
        Assert.True(peer.IsPeer);
        Assert.Equal("/tmp/epoll_echo 4000 2 --x=y", peer.PeerCommandFor(4000));
    }

    [Fact]
    public void Process_model_has_a_client_cap_and_the_others_do_not()
    {
        Assert.Equal(ServerDefinition.ProcessModelWorkerCap, ServerDefinition.ForModel("process").ClientCap);
        Assert.Null(ServerDefinition.ForModel("async").ClientCap);
        Assert.Throws<CliException>(() => ServerDefinition.ForModel("fork"));
    }

    [Fact]
    public void Table_marks_the_best_clean_value_and_flags_degraded_ones()
    {
        var table = new FigureTable("rt/s", ["1"]);
        table.AddRow("fast-but-wrong", [new FigureCell(900, StepStatus.Degraded, Better.Higher)]);
        table.AddRow("good", [new FigureCell(500, StepStatus.Ok, Better.Higher)]);
        table.AddRow("slow", [new FigureCell(100, StepStatus.Ok, Better.Higher)]);
        table.AddRow("absent", [new FigureCell(null, StepStatus.Skipped, Better.Higher)]);

        string markdown = table.ToMarkdown();

        Assert.Contains("| fast-but-wrong | 900 ⚠ |", markdown, StringComparison.Ordinal);
        Assert.Contains("| good | **500** |", markdown, StringComparison.Ordinal);
        Assert.Contains("| slow | 100 |", markdown, StringComparison.Ordinal);
        Assert.Contains("| absent | – |", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_lists_pingpong_then_churn_then_idle_and_estimates_every_server()
    {
        var plan = new WorkloadPlan([1, 10], [64], 4, [100]);

        WorkloadStep[] steps = [.. plan.Steps()];

        Assert.Equal(["pingpong", "pingpong", "churn", "idle"], steps.Select(s => s.Workload));
        TimeSpan one = plan.Estimate(1, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        Assert.Equal(one * 2, plan.Estimate(2, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));
        Assert.True(one > TimeSpan.FromSeconds(4));
    }
}
