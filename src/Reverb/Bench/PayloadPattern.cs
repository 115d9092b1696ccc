namespace Reverb.Bench;

/// <summary>
/// The bytes one connection sends: a ring of <c>slots</c> random messages (each with a NUL byte, or, with
/// <c>text</c>, printable ASCII from '!' to '~' with a newline as each message's last byte, as echoload's
/// <c>--text</c> sends, for servers that are not binary-safe), so that
/// consecutive messages differ and a server replaying stale data is caught. The ring is stored twice in a row,
/// so any run of up to <see cref="Length"/> bytes starting anywhere in the ring is contiguous in memory and can be
/// sent or compared without copying.
/// </summary>
internal sealed class PayloadPattern
{
    /// <summary>The first printable, non-space ASCII byte ('!'); text payloads use '!'..'~'.</summary>
    private const byte FirstPrintable = (byte)'!';

    /// <summary>How many printable bytes text payloads draw from ('!'..'~').</summary>
    private const int PrintableCount = '~' - '!' + 1;

    private readonly byte[] _doubled;

    public PayloadPattern(int seed, int connectionIndex, int messageSize, int slots, bool text = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(messageSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        MessageSize = messageSize;
        IsText = text;
        Length = checked(messageSize * slots);
        _doubled = new byte[checked(Length * 2)];

        // Deterministic for a given seed, different for every connection. Not security sensitive.
#pragma warning disable CA5394
        var random = new Random(HashCode.Combine(seed, connectionIndex));
        random.NextBytes(_doubled.AsSpan(0, Length));
#pragma warning restore CA5394
        if (text)
        {
            MakePrintable(_doubled.AsSpan(0, Length), messageSize);
        }
        else
        {
            PlantNuls(_doubled.AsSpan(0, Length), messageSize);
        }

        _doubled.AsSpan(0, Length).CopyTo(_doubled.AsSpan(Length));
    }

    public int MessageSize { get; }

    /// <summary>True when every message is printable ASCII ending in a newline.</summary>
    public bool IsText { get; }

    /// <summary>Bytes in one turn of the ring (a whole number of messages).</summary>
    public int Length { get; }

    /// <summary>The <paramref name="count"/> bytes that follow stream offset <paramref name="streamOffset"/>.</summary>
    public ReadOnlyMemory<byte> At(long streamOffset, int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Length);
        return _doubled.AsMemory((int)(streamOffset % Length), count);
    }

    /// <summary>
    /// Puts a NUL byte in the middle of every message of two bytes or more: random bytes alone leave most short
    /// messages without one (a 64-byte message has none 78% of the time), and a server that stops at a NUL must be caught.
    /// </summary>
    private static void PlantNuls(Span<byte> ring, int messageSize)
    {
        if (messageSize < 2)
        {
            return;
        }

        for (int middle = messageSize / 2; middle < ring.Length; middle += messageSize)
        {
            ring[middle] = 0;
        }
    }

    /// <summary>Maps random bytes onto '!'..'~' and ends every message with '\n'.</summary>
    private static void MakePrintable(Span<byte> ring, int messageSize)
    {
        for (int i = 0; i < ring.Length; i++)
        {
            ring[i] = (byte)(FirstPrintable + (ring[i] % PrintableCount));
        }

        for (int end = messageSize - 1; end < ring.Length; end += messageSize)
        {
            ring[end] = (byte)'\n';
        }
    }
}
