using System.Text.Json.Serialization;

namespace Reverb.Monitoring;

/// <summary>Compile-time JSON for the status exchange (NativeAOT has no reflection-based serializer).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(ServerStatus))]
internal sealed partial class StatusJson : JsonSerializerContext;
