using System.Net;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Monitoring;

/// <summary>reverb --version, reverb_info's version label and /healthz, from real processes.</summary>
public sealed partial class HealthAndVersionTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Version_prints_the_projects_version_and_the_commit_it_was_built_from()
    {
        CommandResult result = await ReverbCommand.RunAsync(Timeout, "--version");

        Assert.Equal(0, result.ExitCode);
        Match version = VersionLine().Match(result.Stdout.Trim());
        Assert.True(version.Success, $"'{result.Stdout.Trim()}' is not VERSION[+COMMIT]");
        Assert.Equal(ProjectVersion(), version.Groups["version"].Value);
        if (RepositoryPaths.Root is { } root && Path.Exists(Path.Combine(root, ".git")))
        {
            // Built inside a git checkout: the commit is named.
            Assert.True(version.Groups["commit"].Success, $"no commit in '{result.Stdout.Trim()}'");
        }
    }

    [Theory]
    [InlineData("process")]
    [InlineData("async")]
    public async Task Reverb_info_carries_the_version_and_healthz_answers_200_while_serving(string model)
    {
        await using var server = await ReverbServer.StartAsync("--model", model, "--metrics", "127.0.0.1:0");
        int metricsPort = await MetricsTests.MetricsPortAsync(server);
        string version = (await ReverbCommand.RunAsync(Timeout, "--version")).Stdout.Trim();

        Dictionary<string, double> metrics = await MetricsTests.ScrapeAsync(metricsPort);
        (HttpStatusCode status, string body) = await HealthAsync(metricsPort);

        Assert.Equal(1, metrics[$"reverb_info{{model=\"{model}\",version=\"{version}\"}}"]);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("serving\n", body);
    }

    [Theory]
    [InlineData("process")]
    [InlineData("workers")]
    [InlineData("threads")]
    public async Task Healthz_answers_503_while_the_server_drains(string model)
    {
        await using var server = await ReverbServer.StartAsync("--model", model, "--drain-timeout", "60s", "--metrics", "127.0.0.1:0");
        int metricsPort = await MetricsTests.MetricsPortAsync(server);
        using var client = await EchoClient.ConnectAsync(server);
        Assert.Equal("a"u8.ToArray(), await client.RoundTripAsync("a"u8.ToArray()));
        Assert.Equal(HttpStatusCode.OK, (await HealthAsync(metricsPort)).Status);

        int before = server.LineCount;
        server.Signal(Signals.SIGTERM);
        await server.WaitForLineAsync("SIGTERM: stopping", Timeout, after: before);

        // The connected client holds the drain open (up to 60 s): the endpoint still answers, unhealthy.
        (HttpStatusCode status, string body) = await HealthAsync(metricsPort);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("draining\n", body);
        Assert.False(server.Log.Contains("stopped", StringComparison.Ordinal), "the drain was still under way");

        client.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
        await client.ReadToEndAsync(Timeout);
        Assert.Equal(0, await server.WaitForExitAsync(Timeout));
    }

    private static async Task<(HttpStatusCode Status, string Body)> HealthAsync(int port)
    {
        using var http = new HttpClient { Timeout = Timeout };
        using HttpResponseMessage response = await http.GetAsync(new Uri($"http://127.0.0.1:{port}/healthz"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static string ProjectVersion()
    {
        string root = RepositoryPaths.Root ?? throw new InvalidOperationException("the test build is outside the repository");
        return XDocument.Load(Path.Combine(root, "src", "Reverb", "Reverb.csproj")).Descendants("Version").Single().Value;
    }

    [GeneratedRegex(@"^(?<version>\d+\.\d+\.\d+)(\+(?<commit>[0-9a-f]{40}))?$")]
    private static partial Regex VersionLine();
}
