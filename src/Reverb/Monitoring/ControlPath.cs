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

        return Path.Combine(Path.GetTempPath(), $"reverb-{Posix.getuid()}");
    }

    public static string ForPort(int port) => Path.Combine(Directory(), $"{port}{Suffix}");

    /// <summary>
    /// Creates the directory (mode 0700) if it does not exist; one that exists already is used only
    /// if it passes <see cref="CheckTrusted"/>, and is never chmodded: it may be someone else's (/tmp).
    /// </summary>
    /// <exception cref="UnauthorizedAccessException">The directory exists but cannot be trusted; the message says why.</exception>
    public static void EnsurePrivateDirectory()
    {
        string directory = Directory();
        const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        if (!System.IO.Directory.Exists(directory))
        {
            System.IO.Directory.CreateDirectory(directory, OwnerOnly);
        }

        CheckTrusted(directory);
    }

    /// <summary>
    /// A directory (not a link to one) owned by this user that nobody else may write to: otherwise
    /// someone else could plant or replace the status socket.
    /// </summary>
    /// <exception cref="UnauthorizedAccessException">It is not; the message says why, in one line.</exception>
    public static void CheckTrusted(string directory)
    {
        if (!FileStatus.TryGet(directory, out uint owner, out UnixFileMode mode, out bool isDirectory, out _) || !isDirectory)
        {
            throw new UnauthorizedAccessException($"{directory} is not a directory");
        }

        if (owner != FileStatus.EffectiveUser)
        {
            throw new UnauthorizedAccessException($"{directory} belongs to uid {owner}, not to you (uid {FileStatus.EffectiveUser})");
        }

        if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) != 0)
        {
            throw new UnauthorizedAccessException($"{directory} is writable by others (mode {Convert.ToString((int)mode, 8)}); use a directory only you can write to");
        }
    }

    /// <summary>A status socket (not a link or a plain file) owned by this user.</summary>
    /// <exception cref="UnauthorizedAccessException">It is not; the message says why, in one line.</exception>
    public static void CheckSocket(string path)
    {
        if (!FileStatus.TryGet(path, out uint owner, out _, out _, out bool isSocket) || !isSocket)
        {
            throw new UnauthorizedAccessException($"{path} is not a socket");
        }

        if (owner != FileStatus.EffectiveUser)
        {
            throw new UnauthorizedAccessException($"{path} belongs to uid {owner}, not to you (uid {FileStatus.EffectiveUser})");
        }
    }
}
