namespace Reverb.Protocol;

/// <summary>The first byte of a channel frame: which <see cref="ChannelMessage"/> kind follows. Only <see cref="ChannelCodec"/> uses it.</summary>
/// <remarks>2, 3 and 7 (serve one client, done, its real address) belonged to the process model's spawned workers, since replaced by fork(); they are not reused.</remarks>
internal enum ChannelMessageType : byte
{
    Ready = 1,
    Listen = 4,
    Shutdown = 5,
    Retire = 6,
    Query = 8,
    Report = 9,
    Totals = 10,
    Admit = 11,
    Admitted = 12,
    Release = 13,
}
