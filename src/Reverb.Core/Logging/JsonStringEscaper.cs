using System.Text;

namespace Reverb.Logging;

/// <summary>
/// Escapes UTF-8 text for a JSON string exactly as System.Text.Json's default writer does (what
/// JsonConsole prints): printable ASCII passes except " &amp; ' + &lt; &gt; ` \ ; \n \r \t \b \f and \\
/// have short forms; everything else is \uXXXX (uppercase hex, surrogate pairs beyond the BMP).
/// </summary>
/// <remarks>
/// Runs in a forked child (Forking/ChildLogLine.cs), so it is allocation-free: a GC there could
/// deadlock, and Utf8JsonWriter needs a managed buffer writer.
/// </remarks>
internal static class JsonStringEscaper
{
    /// <summary>The most bytes one input byte can become (a one-byte character as \u00XX).</summary>
    public const int MaxExpansion = 6;

    private static ReadOnlySpan<byte> Hex => "0123456789ABCDEF"u8;

    /// <summary>Writes <paramref name="utf8"/> escaped (without quotes); returns the bytes written, or -1 if it did not fit.</summary>
    public static int Write(ReadOnlySpan<byte> utf8, Span<byte> destination)
    {
        int at = 0;
        Span<char> utf16 = stackalloc char[2];
        while (!utf8.IsEmpty)
        {
            if (destination.Length - at < 12)
            {
                return -1;
            }

            byte b = utf8[0];
            if (b < 0x80)
            {
                at += WriteAscii(b, destination[at..]);
                utf8 = utf8[1..];
                continue;
            }

            // Invalid UTF-8 becomes U+FFFD, as a decoder would.
            Rune.DecodeFromUtf8(utf8, out Rune rune, out int consumed);
            int units = rune.EncodeToUtf16(utf16);
            for (int i = 0; i < units; i++)
            {
                at += WriteUnicodeEscape(utf16[i], destination[at..]);
            }

            utf8 = utf8[consumed..];
        }

        return at;
    }

    private static int WriteAscii(byte b, Span<byte> destination)
    {
        ReadOnlySpan<byte> shortForm = b switch
        {
            (byte)'\n' => "\\n"u8,
            (byte)'\r' => "\\r"u8,
            (byte)'\t' => "\\t"u8,
            (byte)'\b' => "\\b"u8,
            (byte)'\f' => "\\f"u8,
            (byte)'\\' => "\\\\"u8,
            _ => default,
        };
        if (!shortForm.IsEmpty)
        {
            shortForm.CopyTo(destination);
            return 2;
        }

        bool escaped = b is < 0x20 or 0x7f or (byte)'"' or (byte)'&' or (byte)'\'' or (byte)'+' or (byte)'<' or (byte)'>' or (byte)'`';
        if (escaped)
        {
            return WriteUnicodeEscape((char)b, destination);
        }

        destination[0] = b;
        return 1;
    }

    private static int WriteUnicodeEscape(char c, Span<byte> destination)
    {
        destination[0] = (byte)'\\';
        destination[1] = (byte)'u';
        destination[2] = Hex[(c >> 12) & 0xf];
        destination[3] = Hex[(c >> 8) & 0xf];
        destination[4] = Hex[(c >> 4) & 0xf];
        destination[5] = Hex[c & 0xf];
        return 6;
    }
}
