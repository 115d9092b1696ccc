using System.Text.Json;

namespace Reverb.Tests.Infrastructure;

public static class JsonElementPath
{
    /// <summary>The element at <paramref name="names"/> below this one; a missing name throws, naming the whole path.</summary>
    public static JsonElement Path(this JsonElement element, params string[] names)
    {
        foreach (string name in names)
        {
            if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(name, out element))
            {
                throw new KeyNotFoundException($"no {string.Join('.', names)} ({name} is missing)");
            }
        }

        return element;
    }
}
