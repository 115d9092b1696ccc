namespace Reverb.Tests.Infrastructure;

/// <summary>Theory data: every concurrency model, with few workers so tests stay light on a 2-core machine.</summary>
public static class ServerModels
{
    public static TheoryData<string> All => new() { "process", "workers", "threads", "async" };

    /// <summary>The serve arguments a test uses for <paramref name="model"/>.</summary>
    public static string[] Arguments(string model, params string[] extra) => model switch
    {
        "process" => ["--model", "process", .. extra],
        "workers" => ["--model", "workers", "--workers", "2", .. extra],
        _ => ["--model", model, .. extra],
    };
}
