using System.Globalization;
using System.Text.Json;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Upgrade;

/// <summary>
/// Two real <c>reverb bench</c> runs at once against a server, with verified echoes: pingpong on
/// long-lived connections (opened at the start, held to the end) and churn (a new connection per
/// echo, all along).
/// </summary>
public sealed class BenchLoad
{
    private readonly Task<CommandResult> _longLived;
    private readonly Task<CommandResult> _churn;

    private BenchLoad(Task<CommandResult> longLived, Task<CommandResult> churn)
    {
        _longLived = longLived;
        _churn = churn;
    }

    /// <summary>Neither run has finished yet.</summary>
    public bool Running => !_longLived.IsCompleted && !_churn.IsCompleted;

    public static BenchLoad Start(int port, TimeSpan duration)
    {
        string seconds = string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0}s");
        TimeSpan limit = duration + TimeSpan.FromSeconds(30);
        string target = port.ToString(CultureInfo.InvariantCulture);
        return new BenchLoad(
            ReverbCommand.RunAsync(limit, "bench", "127.0.0.1", target, "--workload", "pingpong", "--connections", "2", "--duration", seconds, "--warmup", "0s", "--json", "-"),
            ReverbCommand.RunAsync(limit, "bench", "127.0.0.1", target, "--workload", "churn", "--connections", "1", "--duration", seconds, "--warmup", "0s", "--json", "-"));
    }

    /// <summary>Waits for both runs and asserts that every echo came back intact, on every connection, none refused, reset or timed out.</summary>
    public async Task AssertNothingLostAsync()
    {
        (string Name, CommandResult Result)[] runs = [("pingpong", await _longLived), ("churn", await _churn)];
        foreach ((string name, CommandResult result) in runs)
        {
            Assert.True(result.ExitCode == 0, $"bench {name} exited {result.ExitCode}: {result.Stderr}\n{result.Stdout}");
            using var json = JsonDocument.Parse(result.Stdout);
            JsonElement root = json.RootElement;
            Assert.True(root.GetProperty("roundTrips").GetInt64() > 0, $"bench {name} echoed nothing: {result.Stdout}");
            foreach (string failure in (string[])["mismatches", "errors", "refused", "resets", "timeouts"])
            {
                Assert.True(root.GetProperty(failure).GetInt64() == 0, $"bench {name}: {failure} in {result.Stdout}");
            }
        }
    }
}
