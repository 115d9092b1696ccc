using Reverb.Interop;

namespace Reverb.Forking;

// TEMPORARY stand-in until the allocation-free child loop lands: blocking echo, no options.
internal static unsafe class ChildEchoLoop
{
    public static void WarmUp(in ChildEchoSettings settings, ChildBuffers buffers)
    {
    }

    public static void Run(int clientFd, int signalFd, ChildSlot* slot, in ChildEchoSettings settings, ChildBuffers buffers)
    {
        while (true)
        {
            nint n = Posix.read(clientFd, buffers.Echo, (nuint)settings.BufferSize);
            if (n <= 0)
            {
                slot->End = n == 0 ? 1 : 2;
                break;
            }

            slot->BytesIn += n;
            nint sent = 0;
            while (sent < n)
            {
                nint w = Posix.Write(clientFd, buffers.Echo + sent, (nuint)(n - sent));
                if (w <= 0)
                {
                    slot->End = 2;
                    ChildTable.SetState(slot, ChildSlotState.Finished);
                    return;
                }

                sent += w;
                slot->BytesOut += w;
            }
        }

        ChildTable.SetState(slot, ChildSlotState.Finished);
    }
}
