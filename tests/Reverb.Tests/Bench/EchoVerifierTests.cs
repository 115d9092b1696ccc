using Reverb.Bench;

namespace Reverb.Tests.Bench;

public sealed class EchoVerifierTests
{
    [Fact]
    public void A_faithful_echo_in_odd_sized_pieces_matches_every_message()
    {
        var pattern = new PayloadPattern(seed: 3, connectionIndex: 0, messageSize: 10, slots: 3);
        var verifier = new EchoVerifier(pattern);
        byte[] echo = Stream(pattern, 0, 60);

        var outcomes = Feed(verifier, echo, pieceSize: 7);

        Assert.Equal(6, outcomes.Count(o => o == MessageOutcome.Match));
        Assert.DoesNotContain(MessageOutcome.Mismatch, outcomes);
        Assert.Equal(60, verifier.Received);
    }

    [Fact]
    public void One_flipped_byte_condemns_only_its_own_message()
    {
        var pattern = new PayloadPattern(seed: 3, connectionIndex: 0, messageSize: 10, slots: 3);
        var verifier = new EchoVerifier(pattern);
        byte[] echo = Stream(pattern, 0, 40);
        echo[25] ^= 1;

        var outcomes = Feed(verifier, echo, pieceSize: 4).Where(o => o != MessageOutcome.Incomplete).ToArray();

        Assert.Equal([MessageOutcome.Match, MessageOutcome.Match, MessageOutcome.Mismatch, MessageOutcome.Match], outcomes);
    }

    [Fact]
    public void A_stale_echo_of_the_previous_message_is_a_mismatch()
    {
        var pattern = new PayloadPattern(seed: 3, connectionIndex: 0, messageSize: 16, slots: 2);
        var verifier = new EchoVerifier(pattern);
        verifier.Reset(streamOffset: 16);

        verifier.Consume(pattern.At(0, 16).Span, out MessageOutcome outcome);

        Assert.Equal(MessageOutcome.Mismatch, outcome);
    }

    [Fact]
    public void Payloads_are_random_with_nul_bytes_deterministic_per_seed_and_distinct_per_connection()
    {
        var first = new PayloadPattern(seed: 1, connectionIndex: 0, messageSize: 4096, slots: 2);
        var again = new PayloadPattern(seed: 1, connectionIndex: 0, messageSize: 4096, slots: 2);
        var other = new PayloadPattern(seed: 1, connectionIndex: 1, messageSize: 4096, slots: 2);

        Assert.Contains((byte)0, first.At(0, 4096).ToArray());
        Assert.True(first.At(0, 8192).Span.SequenceEqual(again.At(0, 8192).Span));
        Assert.False(first.At(0, 4096).Span.SequenceEqual(other.At(0, 4096).Span));
        Assert.False(first.At(0, 4096).Span.SequenceEqual(first.At(4096, 4096).Span));
    }

    [Fact]
    public void The_ring_wraps_contiguously()
    {
        var pattern = new PayloadPattern(seed: 5, connectionIndex: 2, messageSize: 8, slots: 2);

        byte[] wrapped = pattern.At(12, 8).ToArray();

        Assert.Equal(pattern.At(12, 4).ToArray().Concat(pattern.At(0, 4).ToArray()), wrapped);
    }

    private static byte[] Stream(PayloadPattern pattern, long offset, int count)
    {
        var bytes = new List<byte>();
        while (bytes.Count < count)
        {
            int take = Math.Min(pattern.Length, count - bytes.Count);
            bytes.AddRange(pattern.At(offset + bytes.Count, take).ToArray());
        }

        return [.. bytes];
    }

    private static List<MessageOutcome> Feed(EchoVerifier verifier, byte[] echo, int pieceSize)
    {
        var outcomes = new List<MessageOutcome>();
        for (int start = 0; start < echo.Length; start += pieceSize)
        {
            var piece = echo.AsSpan(start, Math.Min(pieceSize, echo.Length - start));
            for (int offset = 0; offset < piece.Length;)
            {
                offset += verifier.Consume(piece[offset..], out MessageOutcome outcome);
                outcomes.Add(outcome);
            }
        }

        return outcomes;
    }
}
