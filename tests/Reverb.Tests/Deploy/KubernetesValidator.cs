using System.Diagnostics;
using System.Text.Json;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Deploy;

/// <summary>
/// tests/k8s-validate: Kubernetes' OpenAPI schemas (the npm package kubernetes-models) run by node,
/// installed with <c>npm ci</c> from its package-lock.json once per test run.
/// </summary>
public static class KubernetesValidator
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private static readonly Lazy<Task> Installed = new(InstallAsync);

    public static string Folder => Path.Combine(RepositoryPaths.Root ?? throw new DirectoryNotFoundException("the test build is outside the repository"), "tests", "k8s-validate");

    public static string ManifestFolder => Path.Combine(SystemdUnitTests.DeployFolder, "kubernetes");

    public static IReadOnlyList<string> Manifests => [.. Directory.GetFiles(ManifestFolder, "*.yaml").Order(StringComparer.Ordinal)];

    /// <summary>Skips the test when node or npm is missing (.ci/run installs both from Debian).</summary>
    public static void SkipUnlessNodeIsInstalled() =>
        Skip.IfNot(OnPath("node") && OnPath("npm"), "node and npm are needed: apt-get install nodejs npm (.ci/run installs them)");

    /// <summary><c>node validate.mjs FILES</c>: exit code 0 when every document is valid, else 1 with the errors on standard error.</summary>
    public static async Task<CommandResult> ValidateAsync(params string[] files)
    {
        await Installed.Value;
        return await RunAsync("node", ["validate.mjs", .. files]);
    }

    /// <summary>Every document of <paramref name="files"/>, parsed by the validator's YAML parser, once they all pass.</summary>
    public static async Task<IReadOnlyList<JsonElement>> DocumentsAsync(params string[] files)
    {
        await Installed.Value;
        CommandResult result = await RunAsync("node", ["validate.mjs", "--json", .. files]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        using JsonDocument documents = JsonDocument.Parse(result.Stdout);
        return [.. documents.RootElement.EnumerateArray().Select(d => d.GetProperty("object").Clone())];
    }

    private static async Task InstallAsync()
    {
        // --prefer-offline: npm's cache serves a repeated install without asking the registry.
        CommandResult result = await RunAsync("npm", ["ci", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"]);
        Assert.True(result.ExitCode == 0, $"npm ci in {Folder} failed:\n{result.Stderr}");
    }

    private static async Task<CommandResult> RunAsync(string command, string[] arguments)
    {
        var start = new ProcessStartInfo(command) { WorkingDirectory = Folder, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{command} {string.Join(' ', arguments)} did not finish within {Timeout.TotalMinutes} min");
        }

        return new CommandResult(process.ExitCode, await stdout, await stderr);
    }

    private static bool OnPath(string command) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, command)));
}
