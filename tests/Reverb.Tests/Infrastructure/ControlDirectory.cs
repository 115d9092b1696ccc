namespace Reverb.Tests.Infrastructure;

/// <summary>
/// A status-socket directory of a test's own (REVERB_CONTROL_DIR), so that <c>reverb status</c>
/// sees only the servers that test started. The server creates it; disposing removes it.
/// </summary>
public sealed class ControlDirectory : IDisposable
{
    public ControlDirectory() =>
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "reverb-test-" + Guid.NewGuid().ToString("N")[..12]);

    public string Path { get; }

    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["REVERB_CONTROL_DIR"] = Path };

    public string SocketFor(int port) => System.IO.Path.Combine(Path, $"{port}.sock");

    public void Dispose()
    {
        if (Directory.Exists(Path))
        {
            Directory.Delete(Path, recursive: true);
        }
    }
}
