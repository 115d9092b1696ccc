using System.Globalization;

namespace Reverb.Tests.Infrastructure;

/// <summary>
/// A child cgroup with the pids controller (cgroup v2, or v1's pids hierarchy), created for one test
/// and removed afterwards: a real limit on the tasks (threads) of the processes moved into it.
/// </summary>
public sealed class PidsCgroup : IDisposable
{
    private static readonly string[] Roots = ["/sys/fs/cgroup/pids", "/sys/fs/cgroup", "/sys/fs/cgroup/unified"];

    private readonly string _root;

    private PidsCgroup(string root, string path)
    {
        _root = root;
        Path = path;
    }

    public string Path { get; }

    /// <summary>A fresh child cgroup; null (with the reason) when no writable pids controller is mounted here.</summary>
    public static PidsCgroup? TryCreate(out string reason)
    {
        foreach (string root in Roots)
        {
            if (!File.Exists(System.IO.Path.Combine(root, "cgroup.procs")) || !HasPidsController(root))
            {
                continue;
            }

            string path = System.IO.Path.Combine(root, $"reverb-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
            try
            {
                Directory.CreateDirectory(path);
                if (File.Exists(System.IO.Path.Combine(path, "pids.max")))
                {
                    reason = string.Empty;
                    return new PidsCgroup(root, path);
                }

                Directory.Delete(path);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Not writable here: try the next.
            }
        }

        reason = "no writable cgroup with the pids controller (cgroup v2 with pids, or v1's /sys/fs/cgroup/pids)";
        return null;
    }

    /// <summary>Moves a whole process (every thread) into the cgroup.</summary>
    public void Add(int pid) => File.WriteAllText(System.IO.Path.Combine(Path, "cgroup.procs"), pid.ToString(CultureInfo.InvariantCulture));

    public int Current => int.Parse(File.ReadAllText(System.IO.Path.Combine(Path, "pids.current")).Trim(), CultureInfo.InvariantCulture);

    /// <summary>The most tasks allowed; null: no limit.</summary>
    public void Limit(int? max) => File.WriteAllText(System.IO.Path.Combine(Path, "pids.max"), max?.ToString(CultureInfo.InvariantCulture) ?? "max");

    /// <summary>Moves every process left back to the root and removes the cgroup.</summary>
    public void Dispose()
    {
        try
        {
            Limit(null);
            foreach (string pid in File.ReadAllLines(System.IO.Path.Combine(Path, "cgroup.procs")))
            {
                try
                {
                    File.WriteAllText(System.IO.Path.Combine(_root, "cgroup.procs"), pid);
                }
                catch (IOException)
                {
                    // It exited meanwhile.
                }
            }

            Directory.Delete(Path);
        }
        catch (IOException)
        {
            // Still in use (a process exiting): try once more shortly.
            Thread.Sleep(200);
            Directory.Delete(Path);
        }
    }

    private static bool HasPidsController(string root)
    {
        string controllers = System.IO.Path.Combine(root, "cgroup.controllers");
        return !File.Exists(controllers) || File.ReadAllText(controllers).Split(' ', '\n').Contains("pids");
    }
}
