using System.Diagnostics;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Deploy;

/// <summary>
/// tests/deploy-checks: other projects' own parsers run by node over deploy/ (Kubernetes' schemas,
/// Prometheus' PromQL grammar), installed with <c>npm ci</c> from its package-lock.json once per test run.
/// </summary>
public static class DeployChecks
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private static readonly Lazy<Task> Installed = new(InstallAsync);

    public static string Folder => Path.Combine(RepositoryPaths.Root ?? throw new DirectoryNotFoundException("the test build is outside the repository"), "tests", "deploy-checks");

    /// <summary>Skips the test when node or npm is missing (.ci/run installs both from Debian).</summary>
    public static void SkipUnlessNodeIsInstalled() =>
        Skip.IfNot(OnPath("node") && OnPath("npm"), "node and npm are needed: apt-get install nodejs npm (.ci/run installs them)");

    /// <summary><c>node SCRIPT ARGS</c> in tests/deploy-checks, once its packages are installed.</summary>
    public static async Task<CommandResult> RunAsync(string script, params string[] arguments)
    {
        await Installed.Value;
        return await RunInFolderAsync("node", [script, .. arguments]);
    }

    private static async Task InstallAsync()
    {
        // --prefer-offline: npm's cache serves a repeated install without asking the registry.
        CommandResult result = await RunInFolderAsync("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"]);
        Assert.True(result.ExitCode == 0, $"npm ci in {Folder} failed:\n{result.Stderr}");
    }

    private static Task<CommandResult> RunInFolderAsync(string command, string[] arguments)
    {
        var start = new ProcessStartInfo(command) { WorkingDirectory = Folder };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        return ToolCommand.RunAsync(start, Timeout);
    }

    private static bool OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, command)));
}
