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
    public void Tree_cpu_counts_each_process_from_its_first_sample_and_what_the_root_reaped_that_no_sample_saw()
    {
        var account = new TreeCpuAccount(Tree(Process(1, 0, 100, 50), Process(2, 1, 10), Process(4, 1, 20)));
        account.Observe(Tree(Process(1, 0, 105, 50), Process(2, 1, 12), Process(4, 1, 24), Process(3, 1, 3)));

        // Pid 4 ended with 25 ticks and a child no sample saw used 5: the root reaped 30.
        account.Observe(Tree(Process(1, 0, 110, 80), Process(2, 1, 15), Process(3, 1, 7)));

        // Root 10 + pid 2's 5 + pid 3's 7 + pid 4's last 5 + the unseen child's 5.
        Assert.Equal(32, account.Ticks);
    }

    [Fact]
    public void Tree_cpu_of_a_server_that_never_reaps_counts_what_the_samples_saw()
    {
        var account = new TreeCpuAccount(Tree(Process(1, 0, 0, 0)));
        account.Observe(Tree(Process(1, 0, 1, 0), Process(7, 1, 40)));
        account.Observe(Tree(Process(1, 0, 2, 0)));

        Assert.Equal(42, account.Ticks);
    }

    [Fact]
    public void Tree_sample_sums_processes_and_threads()
    {
        ProcessTreeSample sample = Tree(Process(1, 0, 0, 0, threads: 3), Process(2, 1, 0, threads: 2));

        Assert.Equal(2, sample.ProcessCount);
        Assert.Equal(5, sample.ThreadCount);
        Assert.True(sample.RootAlive);
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
    public void Only_the_four_models_are_known()
    {
        Assert.Equal("process", ServerDefinition.ForModel("process").Model);
        Assert.True(Assert.Throws<CompareException>(() => ServerDefinition.ForModel("fork")).IsUsage);
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

    private static ProcessSnapshot Process(int pid, int parent, long ticks, long reaped = 0, int threads = 1) =>
        new(pid, parent, ticks, reaped, threads, 4096);

    private static ProcessTreeSample Tree(params ProcessSnapshot[] processes) =>
        new(1, processes.ToDictionary(p => p.Pid), 0);
}
