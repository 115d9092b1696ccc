using System.Runtime.InteropServices;
using Reverb.Echo;
using Reverb.Proxy;

namespace Reverb.Forking;

/// <summary>
/// The native memory a forked child works in, allocated before fork (the child must not allocate):
/// the echo buffer, a log line, the PROXY header and the client's name for logs. A child's copy of
/// pages it never touches costs nothing (copy-on-write), so the sizes are generous.
/// </summary>
internal sealed unsafe class ChildBuffers : IDisposable
{
    /// <summary>Room for the longest chunk log line, JSON included (each chunk text twice, each byte up to 6 when JSON-escaped).</summary>
    public const int LogLength = 8192;

    /// <summary>Room for "REAL via PEER" with two bracketed IPv6 endpoints, or "PEER (proxy health check)".</summary>
    public const int PeerLength = 160;

    /// <summary>Room for one escaped chunk: at least ChunkFormatter.MaxWrittenLength() (282 bytes).</summary>
    public const int ChunkTextLength = 512;

    private byte* _echo;
    private byte* _log;
    private byte* _proxy;
    private byte* _peer;
    private byte* _chunkText;

    public ChildBuffers(int bufferSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ChunkTextLength, ChunkFormatter.MaxWrittenLength());
        EchoLength = bufferSize;
        _echo = (byte*)NativeMemory.Alloc((nuint)bufferSize);
        _log = (byte*)NativeMemory.Alloc(LogLength);
        _proxy = (byte*)NativeMemory.Alloc(ProxyHeaderSpanParser.V2MaxLength);
        _peer = (byte*)NativeMemory.Alloc(PeerLength);
        _chunkText = (byte*)NativeMemory.Alloc((nuint)ChunkTextLength);
    }

    public int EchoLength { get; }

    public byte* EchoPointer => _echo;

    public Span<byte> Log => new(_log, LogLength);

    public Span<byte> Proxy => new(_proxy, ProxyHeaderSpanParser.V2MaxLength);

    public Span<byte> Peer => new(_peer, PeerLength);

    public Span<byte> ChunkText => new(_chunkText, ChunkTextLength);

    public void Dispose()
    {
        Free(ref _echo);
        Free(ref _log);
        Free(ref _proxy);
        Free(ref _peer);
        Free(ref _chunkText);
    }

    private static void Free(ref byte* memory)
    {
        NativeMemory.Free(memory);
        memory = null;
    }
}
