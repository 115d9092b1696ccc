using System.Runtime.InteropServices;

namespace Reverb.Forking;

// TEMPORARY stand-in until the allocation-free child loop lands.
internal sealed unsafe class ChildBuffers : IDisposable
{
    public ChildBuffers(in ChildEchoSettings settings)
    {
        Echo = (byte*)NativeMemory.Alloc((nuint)settings.BufferSize);
    }

    public byte* Echo { get; }

    public void Dispose() => NativeMemory.Free(Echo);
}
