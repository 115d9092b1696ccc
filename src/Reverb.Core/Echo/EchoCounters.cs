namespace Reverb.Echo;

/// <summary>
/// The bytes one connection has echoed so far, readable from other threads while it runs (for
/// status and metrics); the echo loop is the only writer.
/// </summary>
internal sealed class EchoCounters
{
    private long _bytesIn;
    private long _bytesOut;

    public long BytesIn => Volatile.Read(ref _bytesIn);

    public long BytesOut => Volatile.Read(ref _bytesOut);

    internal void AddIn(int count) => Volatile.Write(ref _bytesIn, _bytesIn + count);

    internal void AddOut(int count) => Volatile.Write(ref _bytesOut, _bytesOut + count);
}
