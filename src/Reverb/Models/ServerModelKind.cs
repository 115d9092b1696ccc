namespace Reverb.Models;

/// <summary>The concurrency models <c>reverb serve --model</c> offers.</summary>
internal enum ServerModelKind
{
    Process,
    Workers,
    Threads,
    Async,
}
