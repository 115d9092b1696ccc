using System.Runtime.InteropServices;
using Reverb.Interop;
using Reverb.Net;

namespace Reverb.Forking;

/// <summary>
/// One fixed-size message between the master and the forking process, over their SOCK_SEQPACKET
/// pair (message boundaries kept, so no framing). Encoded and decoded only here.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ForkerMessage
{
    public ForkerMessageType Type;
    public int Slot;
    public int Pid;
    public int Value;
    public SlotAddress Address;

    public static ForkerMessage Ready(int pid) => new() { Type = ForkerMessageType.Ready, Value = pid };

    public static ForkerMessage Accepted(int slot, int pid) => new() { Type = ForkerMessageType.Accepted, Slot = slot, Pid = pid };

    public static ForkerMessage Reaped(int slot, int pid) => new() { Type = ForkerMessageType.Reaped, Slot = slot, Pid = pid };

    public static ForkerMessage RefusedPerSource(SlotAddress address, int limit) => new() { Type = ForkerMessageType.RefusedPerSource, Address = address, Value = limit };

    public static ForkerMessage RefusedUntrusted(SlotAddress address) => new() { Type = ForkerMessageType.RefusedUntrusted, Address = address };

    public static ForkerMessage ForkFailed(int errno) => new() { Type = ForkerMessageType.ForkFailed, Value = errno };

    public static ForkerMessage AcceptFailed(int errno) => new() { Type = ForkerMessageType.AcceptFailed, Value = errno };

    public static ForkerMessage ReleaseSource(SlotAddress address) => new() { Type = ForkerMessageType.ReleaseSource, Address = address };

    public static ForkerMessage Shutdown(TimeSpan drain) => new() { Type = ForkerMessageType.Shutdown, Value = (int)Math.Clamp(drain.TotalMilliseconds, 0, int.MaxValue) };

    public static ForkerMessage Retire() => new() { Type = ForkerMessageType.Retire };

    /// <returns>false when the other side has gone.</returns>
    public readonly bool SendTo(int channel) => UnixChannelSocket.SendValue(channel, this);

    /// <summary>Blocks for the next message; false when the other side has gone (or sent something that is not a message).</summary>
    public static bool TryReceive(int channel, out ForkerMessage message) =>
        UnixChannelSocket.TryReceiveValue(channel, out message) && Enum.IsDefined(message.Type);
}
