namespace Reverb.Monitoring;

/// <summary>What the metrics endpoint makes of one HTTP request line ("GET /metrics HTTP/1.1"); never throws.</summary>
internal readonly record struct MetricsRequest(MetricsRequestKind Kind, bool WithBody)
{
    /// <param name="requestLine">The request line without its CRLF; null when none arrived (too long, or closed first).</param>
    public static MetricsRequest Parse(string? requestLine)
    {
        string[] parts = requestLine?.Split(' ') ?? [];
        if (parts.Length != 3 || !parts[2].StartsWith("HTTP/1.", StringComparison.Ordinal))
        {
            return new MetricsRequest(MetricsRequestKind.BadRequest, true);
        }

        if (parts[0] is not ("GET" or "HEAD"))
        {
            return new MetricsRequest(MetricsRequestKind.MethodNotAllowed, true);
        }

        string path = parts[1].Split('?')[0];
        var kind = path switch
        {
            "/metrics" or "/metrics/" => MetricsRequestKind.Metrics,
            "/healthz" => MetricsRequestKind.Health,
            "/livez" => MetricsRequestKind.Liveness,
            _ => MetricsRequestKind.NotFound,
        };
        return new MetricsRequest(kind, parts[0] == "GET");
    }
}

internal enum MetricsRequestKind
{
    Metrics,

    /// <summary>/healthz: 200 while serving, 503 while starting or draining.</summary>
    Health,

    /// <summary>/livez: 200 whenever the endpoint answers, draining included (an orchestrator's liveness check).</summary>
    Liveness,
    NotFound,
    BadRequest,
    MethodNotAllowed,
}
