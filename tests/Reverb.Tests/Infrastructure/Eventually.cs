namespace Reverb.Tests.Infrastructure;

/// <summary>Bounded waits for a condition that other processes make true.</summary>
public static class Eventually
{
    public static Task<bool> TrueAsync(Func<bool> condition, TimeSpan timeout) =>
        TrueAsync(() => Task.FromResult(condition()), timeout);

    /// <summary>As <see cref="TrueAsync(Func{bool}, TimeSpan)"/> for a condition that does I/O: awaited, never blocked on.</summary>
    public static async Task<bool> TrueAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (await condition())
            {
                return true;
            }

            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            // Polls /proc: there is no event to wait on for another process's children.
            await Task.Delay(25);
        }
    }

    public static Task AssertAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        AssertAsync(() => Task.FromResult(condition()), timeout, what);

    public static async Task AssertAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        Assert.True(await TrueAsync(condition, timeout), $"timed out after {timeout.TotalSeconds:0.#} s waiting for: {what}");
    }
}
