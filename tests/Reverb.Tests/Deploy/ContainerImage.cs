using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Deploy;

/// <summary>
/// The image deploy/container/build.sh builds from the NativeAOT binary, with real buildah, built once
/// for the test class in a storage of its own (vfs: plain directories, no mounts) under a temporary
/// folder; exported by <c>buildah from</c> + <c>buildah mount</c>, i.e. the root filesystem a container
/// of it starts on. Disposing removes the container, the image and the folder.
/// </summary>
public sealed class ContainerImage : IAsyncLifetime
{
    public const string Buildah = "/usr/bin/buildah";

    private static readonly TimeSpan ToolTimeout = TimeSpan.FromMinutes(2);

    private readonly string _folder = Directory.CreateTempSubdirectory("reverb-image").FullName;
    private readonly Dictionary<string, string> _environment;
    private Built? _built;
    private string? _container;
    private string? _rootFs;

    public ContainerImage()
    {
        string storage = Path.Combine(_folder, "storage.conf");
        File.WriteAllText(storage, $"""
            [storage]
            driver = "vfs"
            graphroot = "{Path.Combine(_folder, "graph")}"
            runroot = "{Path.Combine(_folder, "run")}"

            """);
        _environment = new() { ["CONTAINERS_STORAGE_CONF"] = storage, ["BUILDAH_ISOLATION"] = "chroot", ["TMPDIR"] = _folder };
    }

    /// <summary>Why the image cannot be built and run here (null when it can): for Skip.</summary>
    public static string? Unavailable() =>
        !File.Exists(Buildah) ? $"{Buildah} is needed: apt-get install buildah (.ci/run installs it)"
        : !Signals.IsRoot ? "needs root: buildah's storage here, chroot and a PID namespace"
        : NativeReverb.Unavailable();

    /// <summary>The built image: its id, its configuration (OCI "config": User, Env, Entrypoint...), the binary it was built from and how long the build took.</summary>
    public sealed record Built(string Id, JsonElement Config, string Binary, TimeSpan BuildTime);

    public async Task<Built> BuildAsync()
    {
        // The tests of one class run one after another: no two callers at once.
        if (_built is null)
        {
            string binary = await NativeReverb.PathAsync();
            string script = Path.Combine(RepositoryPaths.Root ?? throw new InvalidOperationException("no repository beside this test build"), "deploy", "container", "build.sh");
            string tag = $"localhost/reverb-test:{Guid.NewGuid():N}";
            long started = Stopwatch.GetTimestamp();

            // --pull=never: the build must need nothing from a registry.
            string id = (await RunAsync(script, "-t", tag, "-b", binary, "--", "--pull=never")).Trim().Split('\n')[^1];
            TimeSpan took = Stopwatch.GetElapsedTime(started);
            using JsonDocument inspect = JsonDocument.Parse(await RunAsync(Buildah, "inspect", "--type", "image", id));
            _built = new Built(id, inspect.RootElement.GetProperty("OCIv1").GetProperty("config").Clone(), binary, took);
        }

        return _built;
    }

    /// <summary>The image's root filesystem, as a container of it (a writable copy) starts on.</summary>
    public async Task<string> RootFsAsync()
    {
        Built built = await BuildAsync();
        if (_rootFs is null)
        {
            _container = (await RunAsync(Buildah, "from", "--pull=never", built.Id)).Trim();
            _rootFs = (await RunAsync(Buildah, "mount", _container)).Trim();
        }

        return _rootFs;
    }

    /// <summary>The image's Env as name and value.</summary>
    public static Dictionary<string, string> Environment(JsonElement config) =>
        config.GetProperty("Env").EnumerateArray().Select(e => e.GetString()!.Split('=', 2)).ToDictionary(pair => pair[0], pair => pair[1]);

    /// <summary>The image's User, "UID" or "UID:GID" in numbers (as a runtime that checks runAsNonRoot needs).</summary>
    public static (int Uid, int Gid) User(JsonElement config)
    {
        string[] parts = config.GetProperty("User").GetString()!.Split(':');
        int uid = int.Parse(parts[0], CultureInfo.InvariantCulture);
        return (uid, parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : uid);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        try
        {
            if (_container is not null)
            {
                await ToolCommand.RunAsync(Buildah, _environment, ToolTimeout, "umount", _container);
                await ToolCommand.RunAsync(Buildah, _environment, ToolTimeout, "rm", _container);
            }

            if (_built is not null)
            {
                await ToolCommand.RunAsync(Buildah, _environment, ToolTimeout, "rmi", "--force", _built.Id);
            }
        }
        finally
        {
            // What buildah could not remove goes with the folder: its storage holds only this image.
            Directory.Delete(_folder, recursive: true);
        }
    }

    private async Task<string> RunAsync(string file, params string[] arguments)
    {
        CommandResult result = await ToolCommand.RunAsync(file, _environment, ToolTimeout, arguments);
        Assert.True(result.ExitCode == 0, $"{Path.GetFileName(file)} {string.Join(' ', arguments)} failed ({result.ExitCode}):\n{result.Stdout}\n{result.Stderr}");
        return result.Stdout;
    }
}
