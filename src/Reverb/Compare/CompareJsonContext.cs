using System.Text.Json.Serialization;

namespace Reverb.Compare;

/// <summary>Source-generated JSON for the bench's output and results.json: NativeAOT has no reflection-based serializer.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    UseStringEnumConverter = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(CompareResults))]
internal sealed partial class CompareJsonContext : JsonSerializerContext
{
}
