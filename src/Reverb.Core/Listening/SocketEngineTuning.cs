namespace Reverb.Listening;

/// <summary>
/// Runs socket completions on the runtime's epoll thread instead of queueing them to the thread pool.
/// The echo loop never blocks in a continuation (a thread-per-client model blocks on its own threads),
/// so the hop only costs latency: measured with echoload, 50 clients × 64 B, +9–45% round trips/s and
/// +18–30% short connections/s across the models. Must run before the first socket is created.
/// </summary>
internal static class SocketEngineTuning
{
    private const string InlineCompletions = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    /// <summary>Turns inline completions on for this process and the workers it starts, unless the user chose otherwise.</summary>
    public static void UseInlineCompletions()
    {
        if (Environment.GetEnvironmentVariable(InlineCompletions) is null)
        {
            Environment.SetEnvironmentVariable(InlineCompletions, "1");
        }
    }
}
