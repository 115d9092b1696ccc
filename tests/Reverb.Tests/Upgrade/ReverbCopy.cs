using System.Diagnostics;
using System.Text.Json;
using Reverb.Tests.Infrastructure;

namespace Reverb.Tests.Upgrade;

/// <summary>
/// The reverb build copied into a temporary directory (the NativeAOT binary of REVERB_EXE, or
/// reverb.dll with the assemblies it needs, run by dotnet), so that a test can put a new file at
/// its path while a server started from there runs. Disposing removes the directory.
/// </summary>
public sealed class ReverbCopy : IDisposable
{
    private readonly string? _native = Environment.GetEnvironmentVariable("REVERB_EXE") is { Length: > 0 } exe ? exe : null;

    public ReverbCopy()
    {
        Directory = Path.Combine(Path.GetTempPath(), "reverb-upgrade-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
        if (_native is not null)
        {
            File.Copy(_native, Executable);
            return;
        }

        foreach (string file in BuildFiles())
        {
            File.Copy(Path.Combine(AppContext.BaseDirectory, file), Path.Combine(Directory, file));
        }
    }

    public string Directory { get; }

    /// <summary>The file an upgrade replaces: the NativeAOT binary, or reverb.dll.</summary>
    public string Executable => Path.Combine(Directory, _native is null ? "reverb.dll" : "reverb");

    /// <summary><c>reverb ARGS</c> from the copy, with output redirected as <see cref="ReverbCommand.StartInfo"/> does.</summary>
    public ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        ProcessStartInfo start = ReverbCommand.StartInfo(arguments);
        if (_native is null)
        {
            start.ArgumentList[0] = Executable;
        }
        else
        {
            start.FileName = Executable;
        }

        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        return start;
    }

    /// <summary>Puts <paramref name="content"/> at the executable's path by rename, as a package manager does: the running file is untouched.</summary>
    public void Replace(byte[] content)
    {
        string next = Executable + ".new";
        File.WriteAllBytes(next, content);
        File.SetUnixFileMode(next, File.GetUnixFileMode(Executable));
        File.Move(next, Executable, overwrite: true);
    }

    /// <summary>A fresh copy of the same build at the executable's path.</summary>
    public void ReplaceWithFreshCopy() => Replace(File.ReadAllBytes(_native ?? Path.Combine(AppContext.BaseDirectory, "reverb.dll")));

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    /// <summary>reverb.dll, its runtime files, and the assemblies its deps.json lists (not the test's own).</summary>
    private static IEnumerable<string> BuildFiles()
    {
        yield return "reverb.dll";
        yield return "reverb.runtimeconfig.json";
        yield return "reverb.deps.json";
        using JsonDocument deps = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "reverb.deps.json")));
        foreach (JsonProperty target in deps.RootElement.GetProperty("targets").EnumerateObject())
        {
            foreach (JsonProperty library in target.Value.EnumerateObject())
            {
                if (!library.Value.TryGetProperty("runtime", out JsonElement runtime))
                {
                    continue;
                }

                foreach (JsonProperty assembly in runtime.EnumerateObject())
                {
                    string name = Path.GetFileName(assembly.Name);
                    if (name != "reverb.dll" && File.Exists(Path.Combine(AppContext.BaseDirectory, name)))
                    {
                        yield return name;
                    }
                }
            }
        }
    }
}
