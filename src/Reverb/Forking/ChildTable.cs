using System.ComponentModel;
using System.Runtime.InteropServices;
using Reverb.Interop;

namespace Reverb.Forking;

/// <summary>
/// The fork model's table of clients, one <see cref="ChildSlot"/> each, in a memfd mapped shared
/// by the master, the forking process and (inherited over fork) every child. The master creates
/// it and keeps it across forking processes, so children of a dead forking process stay visible.
/// </summary>
/// <remarks>
/// Ownership of a slot passes by its <see cref="ChildSlot.State"/>: the forking process takes a Free
/// slot (compare-and-swap), the child writes its counters, the reaper marks it Reaped, and the master
/// frees it after reading. Pages never touched cost nothing, so the table is sized for the maximum.
/// </remarks>
internal sealed unsafe class ChildTable : IDisposable
{
    private readonly ChildSlot* _slots;
    private int _cursor;

    private ChildTable(int fd, ChildSlot* slots, int capacity)
    {
        Fd = fd;
        _slots = slots;
        Capacity = capacity;
    }

    /// <summary>The memfd: passed to every forking process.</summary>
    public int Fd { get; }

    public int Capacity { get; }

    /// <summary>Creates the table (master).</summary>
    public static ChildTable Create(int capacity)
    {
        int fd = Posix.memfd_create("reverb-children", Posix.MFD_CLOEXEC);
        if (fd < 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "memfd_create failed");
        }

        if (Posix.ftruncate(fd, (long)capacity * sizeof(ChildSlot)) != 0)
        {
            int error = Marshal.GetLastPInvokeError();
            Posix.close(fd);
            throw new Win32Exception(error, "ftruncate of the child table failed");
        }

        return Map(fd, capacity);
    }

    /// <summary>Maps a table created by the master (forking process).</summary>
    public static ChildTable Map(int fd, int capacity)
    {
        void* address = Posix.mmap(null, (nuint)capacity * (nuint)sizeof(ChildSlot), Posix.PROT_READ | Posix.PROT_WRITE, Posix.MAP_SHARED, fd, 0);
        if (address == (void*)-1)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "mmap of the child table failed");
        }

        return new ChildTable(fd, (ChildSlot*)address, capacity);
    }

    public ChildSlot* Slot(int index) => _slots + index;

    public static ChildSlotState StateOf(ChildSlot* slot) => (ChildSlotState)Volatile.Read(ref slot->State);

    public static void SetState(ChildSlot* slot, ChildSlotState state) => Volatile.Write(ref slot->State, (int)state);

    /// <summary>Takes a free slot for a new client (forking process); -1 when all are in use.</summary>
    public int TryReserve()
    {
        for (int n = 0; n < Capacity; n++)
        {
            int index = _cursor;
            _cursor = _cursor + 1 == Capacity ? 0 : _cursor + 1;
            ChildSlot* slot = _slots + index;
            if (slot->State == (int)ChildSlotState.Free
                && Interlocked.CompareExchange(ref slot->State, (int)ChildSlotState.Reserved, (int)ChildSlotState.Free) == (int)ChildSlotState.Free)
            {
                // Everything but the state, which now says who owns it.
                new Span<byte>((byte*)slot + sizeof(int), sizeof(ChildSlot) - sizeof(int)).Clear();
                return index;
            }
        }

        return -1;
    }

    /// <summary>Gives a slot back (master, after reading a reaped child; or forking process, when a fork failed).</summary>
    public void Free(int index)
    {
        ChildSlot* slot = _slots + index;
        slot->Pid = 0;
        SetState(slot, ChildSlotState.Free);
    }

    public void Dispose()
    {
        Posix.munmap(_slots, (nuint)Capacity * (nuint)sizeof(ChildSlot));
        Posix.close(Fd);
    }
}
