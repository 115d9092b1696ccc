namespace Reverb.Forking;

// TEMPORARY stand-in until the allocation-free child loop lands.
internal struct ChildEchoSettings
{
    public int BufferSize;
    public long IdleTimeoutMs;
    public bool LogChunks;
    public bool LogJson;
    public int LogFd;
    public bool ProxyProtocol;
    public long ProxyTimeoutMs;
    public long DrainMs;
    public int LocalUtcOffsetMinutes;
}
