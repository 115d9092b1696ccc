using System.Diagnostics;

namespace Reverb.Compare;

/// <summary>
/// Drains a child's stdout and stderr so it never blocks on a full pipe, keeping only the last few lines of
/// stderr to explain a failure.
/// </summary>
internal sealed class OutputTail
{
    private const int Lines = 5;
    private readonly Queue<string> _lines = new();
    private readonly Lock _gate = new();

    public OutputTail(Process process)
    {
        ArgumentNullException.ThrowIfNull(process);
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The last lines of stderr joined into one, or null when there were none.</summary>
    public string? Text()
    {
        lock (_gate)
        {
            return _lines.Count == 0 ? null : string.Join(" / ", _lines);
        }
    }

    private void Keep(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        lock (_gate)
        {
            _lines.Enqueue(line.Trim());
            while (_lines.Count > Lines)
            {
                _lines.Dequeue();
            }
        }
    }
}
