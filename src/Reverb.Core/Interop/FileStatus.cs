using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Reverb.Interop;

/// <summary>
/// Who owns a file and what kind it is, without following a symbolic link: .NET exposes a file's
/// mode but not its owner. Uses statx(2), whose layout is the same on every Linux architecture.
/// </summary>
internal static unsafe partial class FileStatus
{
    private const int AT_FDCWD = -100;
    private const int AT_SYMLINK_NOFOLLOW = 0x100;
    private const uint STATX_TYPE_MODE_UID = 0x1 | 0x2 | 0x8;
    private const int S_IFMT = 0xF000;
    private const int S_IFDIR = 0x4000;
    private const int S_IFSOCK = 0xC000;

    /// <summary>The owner, permission bits and type of <paramref name="path"/> itself; false if it does not exist or cannot be read.</summary>
    public static bool TryGet(string path, out uint owner, out UnixFileMode mode, out bool isDirectory, out bool isSocket)
    {
        byte* buffer = stackalloc byte[256];
        if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE_MODE_UID, buffer) != 0)
        {
            (owner, mode, isDirectory, isSocket) = (0, default, false, false);
            return false;
        }

        var bytes = new ReadOnlySpan<byte>(buffer, 256);
        owner = BinaryPrimitives.ReadUInt32LittleEndian(bytes[20..]);
        int raw = BinaryPrimitives.ReadUInt16LittleEndian(bytes[28..]);
        mode = (UnixFileMode)(raw & 0xFFF);
        isDirectory = (raw & S_IFMT) == S_IFDIR;
        isSocket = (raw & S_IFMT) == S_IFSOCK;
        return true;
    }

    public static uint EffectiveUser => geteuid();

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc")]
    private static partial uint geteuid();
}
