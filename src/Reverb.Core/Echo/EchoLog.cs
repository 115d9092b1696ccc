using Microsoft.Extensions.Logging;

namespace Reverb.Echo;

/// <summary>The echo loop's log events.</summary>
/// <remarks>
/// Event ids 120–129 (each area's log class has its own range: LogEventIdTests lists them all). A
/// forked child writes <see cref="Chunk"/> by hand, byte for byte (Forking/ChildLogLine, which
/// must carry the same id).
/// </remarks>
internal static partial class EchoLog
{
    public const int ChunkEventId = 120;

    [LoggerMessage(EventId = ChunkEventId, EventName = "Chunk", Level = LogLevel.Debug, Message = "{Peer} > {Chunk}")]
    public static partial void Chunk(ILogger logger, string peer, string chunk);
}
