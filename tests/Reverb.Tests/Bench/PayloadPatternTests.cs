using Reverb.Bench;

namespace Reverb.Tests.Bench;

public sealed class PayloadPatternTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(64)]
    [InlineData(5000)]
    public void Text_messages_are_printable_ascii_ending_in_a_newline(int size)
    {
        var pattern = new PayloadPattern(seed: 7, connectionIndex: 3, messageSize: size, slots: 4, text: true);

        Assert.True(pattern.IsText);
        for (int message = 0; message < 4; message++)
        {
            byte[] bytes = pattern.At((long)message * size, size).ToArray();
            Assert.Equal((byte)'\n', bytes[^1]);
            Assert.All(bytes[..^1], b => Assert.InRange(b, (byte)'!', (byte)'~'));
        }
    }

    [Fact]
    public void Text_messages_differ_from_one_another_and_per_connection()
    {
        var pattern = new PayloadPattern(seed: 7, connectionIndex: 0, messageSize: 64, slots: 2, text: true);
        var other = new PayloadPattern(seed: 7, connectionIndex: 1, messageSize: 64, slots: 2, text: true);

        Assert.False(pattern.At(0, 64).Span.SequenceEqual(pattern.At(64, 64).Span));
        Assert.False(pattern.At(0, 64).Span.SequenceEqual(other.At(0, 64).Span));
    }

    [Fact]
    public void Text_echoes_are_verified_byte_for_byte()
    {
        var pattern = new PayloadPattern(seed: 7, connectionIndex: 0, messageSize: 32, slots: 2, text: true);
        var verifier = new EchoVerifier(pattern);
        byte[] echo = pattern.At(0, 64).ToArray();
        echo[40] = (byte)(echo[40] == (byte)'A' ? 'B' : 'A'); // still printable, still wrong

        verifier.Consume(echo.AsSpan(0, 32), out MessageOutcome first);
        verifier.Consume(echo.AsSpan(32, 32), out MessageOutcome second);

        Assert.Equal(MessageOutcome.Match, first);
        Assert.Equal(MessageOutcome.Mismatch, second);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(8)]
    [InlineData(64)]
    public void Every_binary_message_holds_a_nul_byte(int size)
    {
        var pattern = new PayloadPattern(seed: 1, connectionIndex: 0, messageSize: size, slots: 16);

        Assert.False(pattern.IsText);
        for (int message = 0; message < 16; message++)
        {
            Assert.Contains((byte)0, pattern.At((long)message * size, size).ToArray());
        }
    }
}
