using System.Text.Json;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Serve;

/// <summary>Configuration from the environment (for containers) and JSON logs (for log collectors).</summary>
public sealed class ConfigurationTests
{
    [Fact]
    public async Task Environment_variables_configure_the_server_and_the_command_line_wins()
    {
        var environment = new Dictionary<string, string> { ["REVERB_MODEL"] = "async", ["REVERB_MAX_CLIENTS"] = "7" };
        await using (var fromEnvironment = await ReverbServer.StartAsync(environment))
        {
            Assert.Contains("(model async,", fromEnvironment.Lines[0], StringComparison.Ordinal);
            Assert.Contains("at most 7", fromEnvironment.Lines[0], StringComparison.Ordinal);
        }

        await using var overridden = await ReverbServer.StartAsync(environment, "--model", "threads");
        Assert.Contains("(model threads,", overridden.Lines[0], StringComparison.Ordinal);
        Assert.Contains("at most 7", overridden.Lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_environment_value_is_a_one_line_error_naming_the_variable()
    {
        var start = ReverbCommand.StartInfo(["serve", "0"]);
        start.Environment["REVERB_IDLE_TIMEOUT"] = "soon";
        using var process = System.Diagnostics.Process.Start(start)!;
        string stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        Assert.Equal(2, process.ExitCode);
        Assert.StartsWith("reverb: REVERB_IDLE_TIMEOUT='soon' is not valid", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("process")]
    [InlineData("workers")]
    public async Task Json_logs_are_one_object_per_line_from_master_and_workers(string model)
    {
        await using var server = await ReverbServer.StartAsync(ServerModels.Arguments(model, "--log-format", "json"));
        int localPort;
        using (var client = await EchoClient.ConnectAsync(server))
        {
            localPort = client.LocalPort;
            await client.RoundTripAsync("json"u8.ToArray());
        }

        await server.WaitForLineAsync($"finished 127.0.0.1:{localPort}", EchoClient.Timeout);
        foreach (string line in server.Lines)
        {
            using JsonDocument document = JsonDocument.Parse(line);
            Assert.True(document.RootElement.TryGetProperty("Message", out _), line);
            Assert.True(document.RootElement.TryGetProperty("Timestamp", out _), line);
        }
    }
}
