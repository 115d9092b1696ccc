using System.Reflection;

namespace Reverb.Hosting;

/// <summary>
/// This build's version: the project's &lt;Version&gt;, plus "+COMMIT" when the build could ask git
/// (the SDK's source control information); what <c>reverb --version</c> prints and reverb_info's label.
/// </summary>
internal static class ReverbVersion
{
    public static string Informational { get; } =
        typeof(ReverbVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
