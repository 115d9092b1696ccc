namespace Reverb.Tests.Infrastructure;

/// <summary>Where the repository (its bench/ scripts) and the C reference programs (../shared/anchors) are, seen from the test build.</summary>
public static class RepositoryPaths
{
    /// <summary>The folder holding Reverb.sln, found by walking up from the test build; null if the build was moved out of the tree.</summary>
    public static string? Root { get; } = FindRoot();

    /// <summary>The C anchors' sources: REVERB_ANCHORS when set, else ../shared/anchors beside the repository.</summary>
    public static string? Anchors =>
        Environment.GetEnvironmentVariable("REVERB_ANCHORS") is { Length: > 0 } set
            ? set
            : Root is null ? null : Path.GetFullPath(Path.Combine(Root, "..", "shared", "anchors"));

    private static string? FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Reverb.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
