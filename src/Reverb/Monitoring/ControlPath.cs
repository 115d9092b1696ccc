using Reverb.Interop;

namespace Reverb.Monitoring;

/// <summary>
/// Where a server's status socket lives: one per port, in a directory only its owner can enter
/// ($REVERB_CONTROL_DIR, else $XDG_RUNTIME_DIR/reverb, else /tmp/reverb-UID). The server and
/// <c>reverb status</c> agree on it without being told.
/// </summary>
internal static class ControlPath
{
    public const string Suffix = ".sock";

    public static string Directory()
    {
        if (Environment.GetEnvironmentVariable("REVERB_CONTROL_DIR") is { Length: > 0 } chosen)
        {
            return chosen;
        }

        if (Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR") is { Length: > 0 } runtime && System.IO.Directory.Exists(runtime))
        {
            return Path.Combine(runtime, "reverb");
        }

        return Path.Combine(Path.GetTempPath(), $"reverb-{Libc.getuid()}");
    }

    public static string ForPort(int port) => Path.Combine(Directory(), $"{port}{Suffix}");

    /// <summary>Creates the directory if needed and makes sure only its owner can enter it.</summary>
    public static void EnsurePrivateDirectory()
    {
        string directory = Directory();
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        System.IO.Directory.CreateDirectory(directory, OwnerOnly);

        // It may have existed already, made by someone else or looser: tighten it, which only its owner can.
        File.SetUnixFileMode(directory, OwnerOnly);
    }
}
