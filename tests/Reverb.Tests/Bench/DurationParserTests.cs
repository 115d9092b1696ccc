using Reverb.Commands;

namespace Reverb.Tests.Bench;

public sealed class DurationParserTests
{
    [Theory]
    [InlineData("10s", 10_000)]
    [InlineData("500ms", 500)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("3", 3_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData(" 0 ", 0)]
    public void Parses_supported_spellings(string text, long expectedMs)
    {
        Assert.True(DurationParser.TryParse(text, out TimeSpan duration));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("-1s")]
    [InlineData("10x")]
    [InlineData("s")]
    [InlineData(null)]
    public void Rejects_garbage(string? text)
    {
        Assert.False(DurationParser.TryParse(text, out _));
    }
}
