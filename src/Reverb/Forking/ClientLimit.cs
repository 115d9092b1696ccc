using Reverb.Net;
namespace Reverb.Forking;

/// <summary>
/// --max-conns-per-source behind a --trusted-proxy, in the process model: the real client is known
/// only to the child that read its PROXY header, so each child counts, over the shared child table,
/// the connections from the same client (IPv4 address, or IPv6 /64) that were accepted before its
/// own. The earliest ones are served; a later one beyond the limit is refused.
/// </summary>
/// <remarks>
/// Runs in forked children: allocation-free. Each child publishes its client before counting, so of
/// two that race, the later-accepted one sees the earlier; a client whose header is still on its way
/// is not counted yet, so a burst can pass the limit by the number of such slow headers.
/// </remarks>
internal static unsafe class ClientLimit
{
    public static bool Exceeded(ChildSlot* mine, ChildSlot* table, int capacity, int max)
    {
        if (table is null || mine->Client.Family is SlotAddress.None or SlotAddress.Unnamed)
        {
            return false;
        }

        int earlier = 0;
        for (int i = 0; i < capacity; i++)
        {
            ChildSlot* other = table + i;
            if (other == mine || Volatile.Read(ref other->State) != (int)ChildSlotState.Serving)
            {
                continue;
            }

            if (SameClient(ref mine->Client, ref other->Client)
                && (other->AcceptedTimestamp < mine->AcceptedTimestamp || (other->AcceptedTimestamp == mine->AcceptedTimestamp && other < mine))
                && ++earlier >= max)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Runs the count once over a private table of two slots, so that under the JIT it is compiled before any fork.</summary>
    public static bool WarmUp()
    {
        ChildSlot* pair = (ChildSlot*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(2, (nuint)sizeof(ChildSlot));
        try
        {
            for (int i = 0; i < 2; i++)
            {
                pair[i].State = (int)ChildSlotState.Serving;
                pair[i].AcceptedTimestamp = i;
                pair[i].Client = SlotAddress.FromIPv4([192, 0, 2, 1], 1);
            }

            return Exceeded(pair + 1, pair, 2, 1) && !Exceeded(pair, pair, 2, 1);
        }
        finally
        {
            System.Runtime.InteropServices.NativeMemory.Free(pair);
        }
    }

    private static bool SameClient(ref SlotAddress a, ref SlotAddress b)
    {
        ushort family = Volatile.Read(ref b.Family);
        if (family != a.Family)
        {
            return false;
        }

        // IPv4: the whole address; IPv6: the /64 (one site's prefix).
        int length = family == (ushort)System.Net.Sockets.AddressFamily.InterNetwork ? 4 : 8;
        fixed (byte* x = a.Bytes, y = b.Bytes)
        {
            return new ReadOnlySpan<byte>(x, length).SequenceEqual(new ReadOnlySpan<byte>(y, length));
        }
    }
}
