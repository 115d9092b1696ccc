namespace Reverb.Bench;

/// <summary>
/// The bytes one connection sends: a ring of <c>slots</c> random messages (NUL bytes included), so that
/// consecutive messages differ and a server replaying stale data is caught. The ring is stored twice in a row,
/// so any run of up to <see cref="Length"/> bytes starting anywhere in the ring is contiguous in memory and can be
/// sent or compared without copying.
/// </summary>
internal sealed class PayloadPattern
{
    private readonly byte[] _doubled;

    public PayloadPattern(int seed, int connectionIndex, int messageSize, int slots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(messageSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        MessageSize = messageSize;
        Length = checked(messageSize * slots);
        _doubled = new byte[checked(Length * 2)];

        // Deterministic for a given seed, different for every connection. Not security sensitive.
#pragma warning disable CA5394
        var random = new Random(HashCode.Combine(seed, connectionIndex));
        random.NextBytes(_doubled.AsSpan(0, Length));
#pragma warning restore CA5394
        _doubled.AsSpan(0, Length).CopyTo(_doubled.AsSpan(Length));
    }

    public int MessageSize { get; }

    /// <summary>Bytes in one turn of the ring (a whole number of messages).</summary>
    public int Length { get; }

    /// <summary>The <paramref name="count"/> bytes that follow stream offset <paramref name="streamOffset"/>.</summary>
    public ReadOnlyMemory<byte> At(long streamOffset, int count)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Length);
        return _doubled.AsMemory((int)(streamOffset % Length), count);
    }
}
