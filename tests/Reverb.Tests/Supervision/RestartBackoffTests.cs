using CsCheck;
using Reverb.Supervision;

namespace Reverb.Tests.Supervision;

/// <summary>The restart policy on its own: delays, reset and which failures are logged.</summary>
public sealed class RestartBackoffTests
{
    private static readonly TimeSpan Quick = TimeSpan.FromMilliseconds(50);

    [Fact]
    public void A_process_that_had_been_up_a_while_is_restarted_at_once()
    {
        RestartBackoff backoff = RestartBackoff.CreateDefault();
        RestartBackoff.Decision decision = backoff.Failed(TimeSpan.FromMinutes(5));
        Assert.Equal(TimeSpan.Zero, decision.Delay);
        Assert.True(decision.Log);
        Assert.Equal(0, backoff.ConsecutiveFailures);
    }

    [Fact]
    public void Failures_in_a_row_double_the_delay_from_100_ms_up_to_10_s()
    {
        RestartBackoff backoff = RestartBackoff.CreateDefault();
        TimeSpan[] delays = [.. Enumerable.Range(0, 10).Select(_ => backoff.Failed(Quick).Delay)];
        Assert.Equal(
            [100, 200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000],
            delays.Select(d => (int)d.TotalMilliseconds));
    }

    [Fact]
    public void Staying_up_resets_the_delay()
    {
        RestartBackoff backoff = RestartBackoff.CreateDefault();
        for (int i = 0; i < 6; i++)
        {
            backoff.Failed(TimeSpan.Zero);
        }

        backoff.Running(TimeSpan.FromSeconds(3));
        Assert.Equal(TimeSpan.FromMilliseconds(6400), backoff.Failed(Quick).Delay);

        backoff.Running(TimeSpan.FromSeconds(11));
        Assert.Equal(0, backoff.ConsecutiveFailures);
        Assert.Equal(TimeSpan.FromMilliseconds(100), backoff.Failed(Quick).Delay);
    }

    [Fact]
    public void A_restart_loop_logs_a_few_lines_then_at_most_one_per_max_delay()
    {
        RestartBackoff backoff = RestartBackoff.CreateDefault();
        TimeSpan elapsed = TimeSpan.Zero;
        int lines = 0;

        // An hour of a process that cannot start at all.
        while (elapsed < TimeSpan.FromHours(1))
        {
            RestartBackoff.Decision decision = backoff.Failed(TimeSpan.Zero);
            lines += decision.Log ? 1 : 0;
            elapsed += decision.Delay;
        }

        Assert.InRange(lines, 360, 360 + 10);
    }

    [Fact]
    public void Property_the_delay_never_falls_while_failures_continue_and_stays_within_bounds()
    {
        Gen.Select(Gen.Int[1, 2_000], Gen.Int[1, 60_000], Gen.Int[0, 200])
            .Sample((initialMs, extraMs, failures) =>
            {
                var backoff = new RestartBackoff(TimeSpan.FromMilliseconds(initialMs), TimeSpan.FromMilliseconds(initialMs + extraMs), TimeSpan.FromSeconds(10));
                TimeSpan previous = TimeSpan.Zero;
                for (int i = 0; i < failures; i++)
                {
                    TimeSpan delay = backoff.Failed(TimeSpan.Zero).Delay;
                    if (delay < previous || delay < backoff.Initial || delay > backoff.Max)
                    {
                        return false;
                    }

                    previous = delay;
                }

                return true;
            });
    }
}
