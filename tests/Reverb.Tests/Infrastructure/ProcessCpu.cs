using System.Globalization;

namespace Reverb.Tests.Infrastructure;

/// <summary>A process's CPU time (user + system) and open descriptors, read from /proc.</summary>
public static class ProcessCpu
{
    // USER_HZ: the unit of utime and stime in /proc/PID/stat, 100 on every Linux this runs on.
    private const double TicksPerSecond = 100;

    public static TimeSpan Used(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");

        // Fields after the command name (which may hold spaces, so split after its closing parenthesis): state is field 3, utime 14, stime 15.
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    /// <summary>The share of one core <paramref name="pid"/> used over <paramref name="period"/> (1.0: a full core).</summary>
    public static async Task<double> CoreShareAsync(int pid, TimeSpan period)
    {
        TimeSpan before = Used(pid);
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        await Task.Delay(period);
        TimeSpan used = Used(pid) - before;
        return used / System.Diagnostics.Stopwatch.GetElapsedTime(started);
    }

    public static int OpenDescriptors(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;

    /// <summary>The soft and hard RLIMIT_NOFILE of <paramref name="pid"/>, from /proc/PID/limits.</summary>
    public static (string Soft, string Hard) DescriptorLimit(int pid)
    {
        string line = File.ReadLines($"/proc/{pid}/limits").First(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        string[] parts = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (parts[0], parts[1]);
    }
}
