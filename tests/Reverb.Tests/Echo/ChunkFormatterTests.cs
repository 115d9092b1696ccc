using Reverb.Echo;

namespace Reverb.Tests.Echo;

public sealed class ChunkFormatterTests
{
    [Theory]
    [InlineData(new byte[] { (byte)'h', (byte)'i', 10 }, "\"hi\\n\"")]
    [InlineData(new byte[] { 0x1b, (byte)'[', (byte)'2', (byte)'J' }, "\"\\x1b[2J\"")]
    [InlineData(new byte[] { 0xff, 0xfe, 0 }, "\"\\xff\\xfe\\x00\"")]
    [InlineData(new byte[] { 0xc3, 0xa9 }, "\"é\"")]
    [InlineData(new byte[] { 0xe2, 0x80, 0xae, (byte)'x' }, "\"\\u{202e}x\"")]
    [InlineData(new byte[] { 0xc2, 0x9b }, "\"\\x9b\"")]
    public void Escapes_what_could_forge_lines_or_drive_a_terminal(byte[] chunk, string expected)
    {
        Assert.Equal(expected, ChunkFormatter.Format(chunk));
    }

    [Fact]
    public void Cuts_long_chunks_and_says_how_much_was_left_out()
    {
        string text = ChunkFormatter.Format(new byte[1000].AsSpan().ToArray().Select(_ => (byte)'a').ToArray());
        Assert.Equal("\"" + new string('a', ChunkFormatter.MaxShownBytes) + "\"... (+936 bytes)", text);
    }
}
