using System.Buffers;
using System.Globalization;
using System.Text;

namespace Reverb.Echo;

/// <summary>
/// Renders received bytes for a log line so that echoed data can never forge log lines or drive
/// the terminal: control characters (C0, DEL, C1), bidi and other format characters and invalid
/// UTF-8 are escaped, and long chunks are cut.
/// </summary>
/// <remarks>
/// <see cref="Write"/> is the one implementation: it writes UTF-8 into a span and allocates nothing,
/// because a forked child (see Forking/ChildEchoLoop.cs) calls it; <see cref="Format"/> wraps it for
/// the managed models.
/// </remarks>
internal static class ChunkFormatter
{
    public const int MaxShownBytes = 64;

    private static ReadOnlySpan<byte> Hex => "0123456789abcdef"u8;

    /// <summary>The most bytes <see cref="Write"/> can produce for <paramref name="maxShownBytes"/>: 4 per shown byte ("\xff"), the quotes and the "... (+N bytes)" suffix.</summary>
    public static int MaxWrittenLength(int maxShownBytes = MaxShownBytes) => (4 * maxShownBytes) + 2 + 24;

    public static string Format(ReadOnlySpan<byte> chunk, int maxShownBytes = MaxShownBytes)
    {
        int length = MaxWrittenLength(maxShownBytes);
        byte[]? rented = length > 1024 ? ArrayPool<byte>.Shared.Rent(length) : null;
        Span<byte> text = rented ?? stackalloc byte[length];
        try
        {
            return Encoding.UTF8.GetString(text[..Write(chunk, text, maxShownBytes)]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Writes the quoted, escaped chunk as UTF-8 into <paramref name="destination"/> (at least
    /// <see cref="MaxWrittenLength"/> bytes) and returns how many bytes it wrote. Allocation-free.
    /// </summary>
    public static int Write(ReadOnlySpan<byte> chunk, Span<byte> destination, int maxShownBytes = MaxShownBytes)
    {
        ReadOnlySpan<byte> shown = chunk.Length > maxShownBytes ? chunk[..maxShownBytes] : chunk;
        int at = 0;
        destination[at++] = (byte)'"';
        while (!shown.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(shown, out Rune rune, out int consumed);
            if (status != OperationStatus.Done)
            {
                // Invalid (or cut) UTF-8: show the raw byte.
                at += WriteByteEscape(shown[0], destination[at..]);
                shown = shown[1..];
                continue;
            }

            at += WriteRune(rune, shown[..consumed], destination[at..]);
            shown = shown[consumed..];
        }

        destination[at++] = (byte)'"';
        if (chunk.Length > maxShownBytes)
        {
            "... (+"u8.CopyTo(destination[at..]);
            at += 6;
            (chunk.Length - maxShownBytes).TryFormat(destination[at..], out int digits, default, CultureInfo.InvariantCulture);
            at += digits;
            " bytes)"u8.CopyTo(destination[at..]);
            at += 7;
        }

        return at;
    }

    private static int WriteRune(Rune rune, ReadOnlySpan<byte> utf8, Span<byte> destination)
    {
        ReadOnlySpan<byte> shortEscape = rune.Value switch
        {
            '\n' => "\\n"u8,
            '\r' => "\\r"u8,
            '\t' => "\\t"u8,
            '\\' => "\\\\"u8,
            '"' => "\\\""u8,
            _ => default,
        };
        if (!shortEscape.IsEmpty)
        {
            shortEscape.CopyTo(destination);
            return shortEscape.Length;
        }

        UnicodeCategory category = Rune.GetUnicodeCategory(rune);
        bool unsafeToShow = category is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
        if (!unsafeToShow)
        {
            utf8.CopyTo(destination);
            return utf8.Length;
        }

        if (rune.Value <= 0xFF)
        {
            return WriteByteEscape((byte)rune.Value, destination);
        }

        // "\u{202e}": lowercase hex without leading zeros.
        int at = 0;
        destination[at++] = (byte)'\\';
        destination[at++] = (byte)'u';
        destination[at++] = (byte)'{';
        int shift = 20;
        while (shift > 0 && (rune.Value >> shift) == 0)
        {
            shift -= 4;
        }

        for (; shift >= 0; shift -= 4)
        {
            destination[at++] = Hex[(rune.Value >> shift) & 0xf];
        }

        destination[at++] = (byte)'}';
        return at;
    }

    private static int WriteByteEscape(byte value, Span<byte> destination)
    {
        destination[0] = (byte)'\\';
        destination[1] = (byte)'x';
        destination[2] = Hex[value >> 4];
        destination[3] = Hex[value & 0xf];
        return 4;
    }
}
