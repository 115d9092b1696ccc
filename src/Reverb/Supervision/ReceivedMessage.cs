namespace Reverb.Supervision;

/// <summary>A message as a worker received it, with the descriptor that came with it (or -1).</summary>
internal readonly record struct ReceivedMessage(ChannelMessage Message, int Descriptor);
