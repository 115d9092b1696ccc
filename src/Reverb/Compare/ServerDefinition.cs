using System.Globalization;

namespace Reverb.Compare;

/// <summary>
/// A server to put through the workloads: either `reverb serve` in one model, or an external echo server
/// (a peer) started with <c>/bin/sh -c</c> after its <c>{port}</c> placeholder is replaced by a free port.
/// </summary>
internal sealed record ServerDefinition(string Name, string? Model, string? PeerCommand)
{
    /// <summary>The placeholder a peer command must contain.</summary>
    public const string PortPlaceholder = "{port}";

    private static readonly string[] KnownModels = ["process", "workers", "threads", "async"];

    public bool IsPeer => PeerCommand is not null;

    /// <summary>
    /// Send printable, newline-terminated payloads (`reverb bench --text`) instead of random bytes with NULs, so a
    /// server that is not binary-safe (one that echoes with strlen) can still be measured.
    /// </summary>
    public bool Text { get; init; }

    /// <summary>How the report shows where the server came from.</summary>
    public string Description => PeerCommand ?? $"reverb serve --model {Model}";

    public static ServerDefinition ForModel(string model)
    {
        string name = model.Trim().ToLowerInvariant();
        if (!KnownModels.Contains(name))
        {
            throw new CompareException($"unknown model '{model}': use {string.Join(", ", KnownModels)}", isUsage: true);
        }

        return new ServerDefinition(name, name, null);
    }

    /// <summary>Reads <c>NAME=COMMAND {port}</c>.</summary>
    public static ServerDefinition ForPeer(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int equals = text.IndexOf('=', StringComparison.Ordinal);
        string name = equals > 0 ? text[..equals].Trim() : string.Empty;
        string command = equals > 0 ? text[(equals + 1)..].Trim() : string.Empty;
        if (name.Length == 0 || command.Length == 0)
        {
            throw new CompareException($"--peer '{text}' is not NAME='COMMAND {PortPlaceholder}'", isUsage: true);
        }

        if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new CompareException($"--peer name '{name}' may use only letters, digits, '-', '_' and '.'", isUsage: true);
        }

        if (!command.Contains(PortPlaceholder, StringComparison.Ordinal))
        {
            throw new CompareException($"--peer {name}: the command must contain {PortPlaceholder}, where the port goes", isUsage: true);
        }

        return new ServerDefinition(name, null, command);
    }

    public string PeerCommandFor(int port) =>
        PeerCommand?.Replace(PortPlaceholder, port.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        ?? throw new InvalidOperationException($"{Name} is not a peer");
}
