namespace Reverb.Bench;

/// <summary>
/// Checks an echoed byte stream against the <see cref="PayloadPattern"/> that was sent, message by message.
/// A message is a mismatch if any of its bytes differ; the stream position is kept, so one corrupted message
/// does not condemn the ones after it.
/// </summary>
internal sealed class EchoVerifier
{
    private readonly PayloadPattern _pattern;
    private bool _currentMessageDiffers;

    public EchoVerifier(PayloadPattern pattern)
    {
        _pattern = pattern;
    }

    /// <summary>Echoed bytes checked so far on this connection.</summary>
    public long Received { get; private set; }

    /// <summary>Starts a new connection whose echo should equal the pattern from <paramref name="streamOffset"/> on.</summary>
    public void Reset(long streamOffset = 0)
    {
        Received = streamOffset;
        _currentMessageDiffers = false;
    }

    /// <summary>
    /// Checks the start of <paramref name="echoed"/>, up to the end of the current message.
    /// Returns how many bytes it consumed; <paramref name="outcome"/> says whether a message just completed.
    /// </summary>
    public int Consume(ReadOnlySpan<byte> echoed, out MessageOutcome outcome)
    {
        int size = _pattern.MessageSize;
        int inMessage = (int)(Received % size);
        int take = Math.Min(echoed.Length, size - inMessage);
        if (!echoed[..take].SequenceEqual(_pattern.At(Received, take).Span))
        {
            _currentMessageDiffers = true;
        }

        Received += take;
        if (inMessage + take < size)
        {
            outcome = MessageOutcome.Incomplete;
        }
        else
        {
            outcome = _currentMessageDiffers ? MessageOutcome.Mismatch : MessageOutcome.Match;
            _currentMessageDiffers = false;
        }

        return take;
    }
}
