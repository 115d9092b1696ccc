using System.Globalization;
using Reverb.Echo;
using Reverb.Logging;
using Reverb.Net;

namespace Reverb.Forking;

/// <summary>
/// A forked child's --verbose chunk line, byte for byte as the other models' loggers print the same
/// event (<see cref="EchoLog.Chunk"/>: "{Peer} &gt; {Chunk}" at Debug, category reverb.worker[PID]): SimpleConsole's
/// single text line or JsonConsole's object.
/// </summary>
/// <remarks>
/// Runs in a forked child, so it is allocation-free (a GC there could deadlock): it writes UTF-8
/// into a caller's span and formats numbers and times with IUtf8SpanFormattable.TryFormat. Each
/// method returns the bytes written, or -1 when the line did not fit (the caller drops it).
/// </remarks>
internal static class ChildLogLine
{
    /// <summary>
    /// The client's name in logs: "PEER", or behind a proxy "REAL via PEER", or "PEER (proxy health
    /// check)" for a header that named no client.
    /// </summary>
    public static int WritePeerName(in SlotAddress peer, in SlotAddress client, Span<byte> destination)
    {
        switch (client.Family)
        {
            case SlotAddress.None:
                return SlotAddressFormatter.Write(peer, destination);
            case SlotAddress.Unnamed:
                int at = SlotAddressFormatter.Write(peer, destination);
                " (proxy health check)"u8.CopyTo(destination[at..]);
                return at + 21;
            default:
                int written = SlotAddressFormatter.Write(client, destination);
                " via "u8.CopyTo(destination[written..]);
                written += 5;
                return written + SlotAddressFormatter.Write(peer, destination[written..]);
        }
    }

    /// <summary>"2026-12-03 12:55:09.700 dbug: reverb.worker[PID][ID] PEER &gt; CHUNK\n", as SimpleConsole writes it.</summary>
    public static int WriteText(Span<byte> line, DateTime localTime, int pid, ReadOnlySpan<byte> peer, ReadOnlySpan<byte> chunkText)
    {
        if (line.Length < 80 + peer.Length + chunkText.Length)
        {
            return -1;
        }

        localTime.TryFormat(line, out int at, "yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
        at += Append(" dbug: reverb.worker["u8, line[at..]);
        pid.TryFormat(line[at..], out int digits, default, CultureInfo.InvariantCulture);
        at += digits;
        at += Append("]["u8, line[at..]);
        EchoLog.ChunkEventId.TryFormat(line[at..], out digits, default, CultureInfo.InvariantCulture);
        at += digits;
        at += Append("] "u8, line[at..]);
        at += Append(peer, line[at..]);
        at += Append(" > "u8, line[at..]);
        at += Append(chunkText, line[at..]);
        line[at++] = (byte)'\n';
        return at;
    }

    /// <summary>The same event as JsonConsole writes it: one object, one line.</summary>
    public static int WriteJson(Span<byte> line, DateTime utcTime, int pid, ReadOnlySpan<byte> peer, ReadOnlySpan<byte> chunkText)
    {
        int escapedPeer = JsonStringEscaper.MaxExpansion * peer.Length;
        int escapedChunk = JsonStringEscaper.MaxExpansion * chunkText.Length;
        if (line.Length < 256 + (2 * (escapedPeer + escapedChunk)))
        {
            return -1;
        }

        int at = Append("{\"Timestamp\":\""u8, line);
        utcTime.TryFormat(line[at..], out int written, "yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        at += written;
        at += Append("\",\"EventId\":"u8, line[at..]);
        EchoLog.ChunkEventId.TryFormat(line[at..], out written, default, CultureInfo.InvariantCulture);
        at += written;
        at += Append(",\"LogLevel\":\"Debug\",\"Category\":\"reverb.worker["u8, line[at..]);
        pid.TryFormat(line[at..], out written, default, CultureInfo.InvariantCulture);
        at += written;
        at += Append("]\",\"Message\":\""u8, line[at..]);
        at += JsonStringEscaper.Write(peer, line[at..]);
        at += Append(" \\u003E "u8, line[at..]);
        at += JsonStringEscaper.Write(chunkText, line[at..]);
        at += Append("\",\"State\":{\"Peer\":\""u8, line[at..]);
        at += JsonStringEscaper.Write(peer, line[at..]);
        at += Append("\",\"Chunk\":\""u8, line[at..]);
        at += JsonStringEscaper.Write(chunkText, line[at..]);
        at += Append("\",\"{OriginalFormat}\":\"{Peer} \\u003E {Chunk}\"}}\n"u8, line[at..]);
        return at;
    }

    private static int Append(ReadOnlySpan<byte> text, Span<byte> destination)
    {
        text.CopyTo(destination);
        return text.Length;
    }
}
