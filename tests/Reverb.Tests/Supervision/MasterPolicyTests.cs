using CsCheck;
using Reverb.Supervision;

namespace Reverb.Tests.Supervision;

/// <summary>The master's rule on its own, without processes: what each model starts, retires and waits for, given counts and time.</summary>
public sealed class MasterPolicyTests
{
    private const long Now = 1_000_000;
    private static readonly MasterPolicy Workers = MasterPolicy.Workers;
    private static readonly MasterPolicy Forker = MasterPolicy.ForkingProcess;

    [Fact]
    public void A_fresh_start_starts_every_wanted_process_at_once()
    {
        Assert.Equal(new MasterDecision(4, 0, MasterDecision.Never), Workers.Decide(new MasterState(Wanted: 4, Ready: 0, Starting: 0), Now));
        Assert.Equal(new MasterDecision(1, 0, MasterDecision.Never), Forker.Decide(new MasterState(Wanted: 1, Ready: 0, Starting: 0), Now));
    }

    [Fact]
    public void A_full_group_or_one_still_starting_starts_nothing()
    {
        Assert.Equal(new MasterDecision(0, 0, MasterDecision.Never), Workers.Decide(new MasterState(4, 4, 0), Now));
        Assert.Equal(new MasterDecision(0, 0, MasterDecision.Never), Workers.Decide(new MasterState(4, 1, 3), Now));
        Assert.Equal(new MasterDecision(1, 0, MasterDecision.Never), Workers.Decide(new MasterState(4, 1, 2), Now));
    }

    [Fact]
    public void A_worker_that_dies_while_serving_is_replaced_at_once()
    {
        StartFailures failures = Workers.Exited(default, wasReady: true, uptime: TimeSpan.FromMinutes(5), Now);

        Assert.Equal(default, failures);
        Assert.Equal(new MasterDecision(1, 0, MasterDecision.Never), Workers.Decide(new MasterState(4, 3, 0, Failures: failures), Now));
        Assert.True(Workers.WorthLogging(failures));
    }

    [Fact]
    public void A_worker_that_dies_soon_after_it_was_ready_backs_off_but_a_forking_process_does_not()
    {
        StartFailures worker = Workers.Exited(default, wasReady: true, uptime: TimeSpan.FromSeconds(2), Now);
        Assert.Equal(new MasterDecision(0, 0, Now + 100), Workers.Decide(new MasterState(4, 3, 0, Failures: worker), Now));
        Assert.Equal(new MasterDecision(1, 0, MasterDecision.Never), Workers.Decide(new MasterState(4, 3, 0, Failures: worker), Now + 100));

        StartFailures forker = Forker.Exited(default, wasReady: true, uptime: TimeSpan.FromSeconds(2), Now);
        Assert.Equal(new MasterDecision(1, 0, MasterDecision.Never), Forker.Decide(new MasterState(1, 0, 0, Failures: forker), Now));
    }

    [Fact]
    public void A_crash_loop_doubles_the_wait_from_100_ms_and_caps_it_at_10_s()
    {
        var waits = new List<long>();
        StartFailures failures = default;
        long now = Now;
        for (int i = 0; i < 10; i++)
        {
            // Died before it was ready; then the master waits exactly as long as the policy says.
            failures = Forker.Exited(failures, wasReady: false, uptime: TimeSpan.FromMilliseconds(50), now);
            MasterDecision waiting = Forker.Decide(new MasterState(1, 0, 0, Failures: failures), now);
            Assert.Equal(0, waiting.Start);
            Assert.Equal(0, Forker.Decide(new MasterState(1, 0, 0, Failures: failures), waiting.WakeAtMs - 1).Start);
            Assert.Equal(1, Forker.Decide(new MasterState(1, 0, 0, Failures: failures), waiting.WakeAtMs).Start);
            waits.Add(waiting.WakeAtMs - now);
            now = waiting.WakeAtMs;
        }

        Assert.Equal([100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000], waits);
    }

    [Fact]
    public void A_process_that_cannot_be_launched_backs_off_like_one_that_dies_at_start()
    {
        StartFailures failures = MasterPolicy.Failed(MasterPolicy.Failed(default, Now), Now + 100);
        Assert.Equal(new StartFailures(2, Now + 100), failures);
        Assert.Equal(new MasterDecision(0, 0, Now + 300), Workers.Decide(new MasterState(2, 0, 0, Failures: failures), Now + 150));
    }

    [Fact]
    public void A_process_that_serves_again_ends_the_run_of_failures()
    {
        StartFailures failures = default;
        for (int i = 0; i < 6; i++)
        {
            failures = MasterPolicy.Failed(failures, Now);
        }

        Assert.Equal(TimeSpan.FromMilliseconds(3200), Workers.Backoff(failures));
        Assert.Equal(default, Workers.Exited(failures, wasReady: true, uptime: TimeSpan.FromSeconds(11), Now));
        Assert.Equal(7, Workers.Exited(failures, wasReady: false, uptime: TimeSpan.FromSeconds(11), Now).InARow);
    }

    [Fact]
    public void Shutdown_starts_and_retires_nothing()
    {
        StartFailures failures = MasterPolicy.Failed(default, Now - 60_000);
        Assert.Equal(
            new MasterDecision(0, 0, MasterDecision.Never),
            Workers.Decide(new MasterState(Wanted: 4, Ready: 0, Starting: 0, Outdated: 4, Stopping: true, Failures: failures), Now));
    }

    [Fact]
    public void A_reload_retires_the_old_generation_only_once_the_new_one_is_ready()
    {
        // SIGHUP: the new generation is wanted in full while the old one still serves.
        Assert.Equal(new MasterDecision(2, 0, MasterDecision.Never), Workers.Decide(new MasterState(Wanted: 2, Ready: 0, Starting: 0, Outdated: 2), Now));
        Assert.Equal(new MasterDecision(0, 0, MasterDecision.Never), Workers.Decide(new MasterState(Wanted: 2, Ready: 1, Starting: 1, Outdated: 2), Now));
        Assert.Equal(new MasterDecision(0, 2, MasterDecision.Never), Workers.Decide(new MasterState(Wanted: 2, Ready: 2, Starting: 0, Outdated: 2), Now));
    }

    [Fact]
    public void A_restart_loop_logs_a_few_lines_then_at_most_one_per_max_wait()
    {
        // An hour of a process that cannot be launched at all, each retry exactly when the policy allows.
        StartFailures failures = default;
        long now = 0;
        int lines = 0;
        while (now < TimeSpan.FromHours(1).TotalMilliseconds)
        {
            failures = MasterPolicy.Failed(failures, now);
            lines += Workers.WorthLogging(failures) ? 1 : 0;
            now = Workers.Decide(new MasterState(1, 0, 0, Failures: failures), now).WakeAtMs;
        }

        Assert.InRange(lines, 360, 360 + 10);
    }

    [Fact]
    public void Property_the_decision_keeps_to_the_counts_the_backoff_and_the_shutdown()
    {
        Gen.Select(Gen.Int[0, 64], Gen.Int[0, 64], Gen.Int[0, 64], Gen.Int[0, 64], Gen.Bool, Gen.Int[0, 100], Gen.Long[-1_000_000, 1_000_000])
            .Sample((wanted, ready, starting, outdated, stopping, failed, sinceFailureMs) =>
            {
                var failures = new StartFailures(failed, Now - sinceFailureMs);
                var state = new MasterState(wanted, ready, starting, outdated, stopping, failures);
                MasterDecision decision = Workers.Decide(state, Now);
                TimeSpan wait = Workers.Backoff(failures);
                bool backingOff = failed > 0 && sinceFailureMs < (long)wait.TotalMilliseconds;

                Assert.InRange(wait, failed == 0 ? TimeSpan.Zero : Workers.InitialBackoff, Workers.MaxBackoff);
                Assert.Equal(stopping || backingOff ? 0 : Math.Max(0, wanted - ready - starting), decision.Start);
                Assert.Equal(!stopping && ready >= wanted ? outdated : 0, decision.Retire);
                Assert.Equal(!stopping && backingOff && wanted > ready + starting ? failures.LastAtMs + (long)wait.TotalMilliseconds : MasterDecision.Never, decision.WakeAtMs);
                Assert.True(decision.WakeAtMs > Now);
            });
    }

    [Fact]
    public void Property_the_wait_never_falls_while_failures_continue_and_stays_within_bounds()
    {
        Gen.Select(Gen.Int[1, 2_000], Gen.Int[1, 60_000], Gen.Int[0, 200])
            .Sample((initialMs, extraMs, count) =>
            {
                var policy = new MasterPolicy(TimeSpan.FromMilliseconds(initialMs), TimeSpan.FromMilliseconds(initialMs + extraMs), TimeSpan.FromSeconds(10));
                StartFailures failures = default;
                TimeSpan previous = TimeSpan.Zero;
                for (int i = 0; i < count; i++)
                {
                    failures = MasterPolicy.Failed(failures, i);
                    TimeSpan wait = policy.Backoff(failures);
                    Assert.InRange(wait, TimeSpan.FromTicks(Math.Max(previous.Ticks, policy.InitialBackoff.Ticks)), policy.MaxBackoff);
                    previous = wait;
                }
            });
    }
}
