namespace Reverb.Echo;

/// <summary>Short, stable words for log lines and status output.</summary>
internal static class EchoEndNames
{
    public static string ToText(this EchoEnd end) => end switch
    {
        EchoEnd.ClientClosed => "client closed",
        EchoEnd.Reset => "reset by client",
        EchoEnd.IdleTimeout => "idle timeout",
        EchoEnd.Shutdown => "server shutdown",
        EchoEnd.Error => "error",
        EchoEnd.Rejected => "rejected (no valid PROXY header)",
        EchoEnd.RefusedPerSource => "refused (--max-conns-per-source)",
        _ => "unknown",
    };
}
