using System.Globalization;
using System.Text;

namespace Reverb.Echo;

/// <summary>
/// Renders received bytes for a log line so that echoed data can never forge log lines or drive
/// the terminal: control characters (C0, DEL, C1), bidi and other format characters and invalid
/// UTF-8 are escaped, and long chunks are cut.
/// </summary>
internal static class ChunkFormatter
{
    public const int MaxShownBytes = 64;

    public static string Format(ReadOnlySpan<byte> chunk, int maxShownBytes = MaxShownBytes)
    {
        ReadOnlySpan<byte> shown = chunk.Length > maxShownBytes ? chunk[..maxShownBytes] : chunk;
        var text = new StringBuilder(shown.Length + 16);
        text.Append('"');
        while (!shown.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(shown, out Rune rune, out int consumed);
            if (status != System.Buffers.OperationStatus.Done)
            {
                // Invalid (or cut) UTF-8: show the raw byte.
                text.Append(CultureInfo.InvariantCulture, $"\\x{shown[0]:x2}");
                shown = shown[1..];
                continue;
            }

            AppendRune(text, rune);
            shown = shown[consumed..];
        }

        text.Append('"');
        if (chunk.Length > maxShownBytes)
        {
            text.Append(CultureInfo.InvariantCulture, $"... (+{chunk.Length - maxShownBytes} bytes)");
        }

        return text.ToString();
    }

    private static void AppendRune(StringBuilder text, Rune rune)
    {
        switch (rune.Value)
        {
            case '\n': text.Append("\\n"); return;
            case '\r': text.Append("\\r"); return;
            case '\t': text.Append("\\t"); return;
            case '\\': text.Append("\\\\"); return;
            case '"': text.Append("\\\""); return;
        }

        UnicodeCategory category = Rune.GetUnicodeCategory(rune);
        bool unsafeToShow = category is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
            or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
        if (unsafeToShow)
        {
            if (rune.Value <= 0xFF)
            {
                text.Append(CultureInfo.InvariantCulture, $"\\x{rune.Value:x2}");
            }
            else
            {
                text.Append(CultureInfo.InvariantCulture, $"\\u{{{rune.Value:x}}}");
            }

            return;
        }

        text.Append(rune.ToString());
    }
}
