namespace Reverb.Logging;

/// <summary>How log events are written to the console.</summary>
internal enum LogFormat
{
    /// <summary>One timestamped line per event, for people.</summary>
    Text,

    /// <summary>One JSON object per line, for log collectors.</summary>
    Json,
}
