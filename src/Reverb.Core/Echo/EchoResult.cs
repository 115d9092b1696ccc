namespace Reverb.Echo;

/// <summary>What one connection did: bytes each way, how long, and how it ended.</summary>
internal readonly record struct EchoResult(long BytesIn, long BytesOut, TimeSpan Duration, EchoEnd End);
