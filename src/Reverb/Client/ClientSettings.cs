using System.Net;

namespace Reverb.Client;

/// <summary>What `reverb client` was asked to do.</summary>
/// <param name="Target">The resolved server endpoint.</param>
/// <param name="Display">HOST:PORT as the user wrote it, for messages.</param>
/// <param name="Timeout">TCP: how long a connect may take. UDP: how long to wait for each reply.</param>
/// <param name="Interactive">True when stdin is a terminal: line by line, with a hint on stderr.</param>
internal sealed record ClientSettings(IPEndPoint Target, string Display, TimeSpan Timeout, bool Interactive);
