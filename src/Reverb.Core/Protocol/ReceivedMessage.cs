namespace Reverb.Protocol;

/// <summary>A message as a worker received it, with the descriptor that came with it (or -1).</summary>
/// <param name="Truncated">The kernel dropped the descriptor sent with it (MSG_CTRUNC); Descriptor is -1.</param>
internal readonly record struct ReceivedMessage(IMasterMessage Message, int Descriptor, bool Truncated = false);
