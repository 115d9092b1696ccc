using System.Text.Json.Serialization;

namespace Reverb.Bench;

/// <summary>Source-generated JSON for <see cref="BenchJsonReport"/>: NativeAOT has no reflection-based serializer.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(BenchJsonReport))]
internal sealed partial class BenchJsonContext : JsonSerializerContext
{
}
