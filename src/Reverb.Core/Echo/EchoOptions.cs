namespace Reverb.Echo;

/// <summary>How every connection is echoed, whatever model runs it.</summary>
/// <param name="BufferSize">Largest chunk read at once; also the most the server holds per connection.</param>
/// <param name="IdleTimeout">Close a connection that makes no progress for this long; null never does.</param>
/// <param name="LogChunks">Log each received chunk (escaped and cut), like the classic server's " > %s".</param>
internal sealed record EchoOptions(int BufferSize, TimeSpan? IdleTimeout, bool LogChunks)
{
    public const int DefaultBufferSize = 64 * 1024;

    public static EchoOptions Default { get; } = new(DefaultBufferSize, null, false);
}
