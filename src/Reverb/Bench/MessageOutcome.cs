namespace Reverb.Bench;

/// <summary>What the <see cref="EchoVerifier"/> concluded after consuming some echoed bytes.</summary>
internal enum MessageOutcome
{
    /// <summary>The current message is not complete yet.</summary>
    Incomplete,

    /// <summary>A message completed and every byte matched.</summary>
    Match,

    /// <summary>A message completed and at least one byte differed.</summary>
    Mismatch,
}
