using System.Globalization;
using Reverb.Monitoring;
using Spectre.Console;

namespace Reverb.Status;

/// <summary>Renders a <see cref="ServerStatus"/> for people: a heading, one row per process and client, then totals.</summary>
internal static class StatusView
{
    public static void Write(IAnsiConsole console, ServerStatus status, DateTimeOffset now)
    {
        console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"reverb (pid {status.Pid}, model {status.Model}) {status.State} on {string.Join(", ", status.Listening)}, up {Age(now - status.Started)}"));

        var table = new Table().Border(TableBorder.Simple)
            .AddColumn(new TableColumn("PID").RightAligned())
            .AddColumn(new TableColumn("PPID").RightAligned())
            .AddColumn("ROLE")
            .AddColumn("STATE")
            .AddColumn("CLIENT")
            .AddColumn(new TableColumn("BYTES IN").RightAligned())
            .AddColumn(new TableColumn("BYTES OUT").RightAligned())
            .AddColumn("CONNECTED SINCE");
        foreach (ProcessStatus process in status.Processes)
        {
            string[] who = [Id(process.Pid), Id(process.ParentPid), process.Role, process.State];
            if (process.Clients.Count == 0)
            {
                table.AddRow([.. who.Select(Markup.Escape), "-", string.Empty, string.Empty, string.Empty]);
                continue;
            }

            foreach (ClientStatus client in process.Clients)
            {
                table.AddRow([.. who.Select(Markup.Escape), Markup.Escape(client.Client), Number(client.BytesIn), Number(client.BytesOut), Since(client.Since, now)]);

                // Further clients of the same process: leave its columns blank.
                who = [string.Empty, string.Empty, string.Empty, string.Empty];
            }
        }

        console.Write(table);
        StatusTotals t = status.Totals;
        console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"connections: {t.Accepted:N0} accepted, {t.Active:N0} active, {t.RejectedPerSource + t.RejectedProxyHeader:N0} rejected ({t.RejectedPerSource:N0} over --max-conns-per-source, {t.RejectedProxyHeader:N0} bad PROXY header)"));
        console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"bytes: {t.BytesIn:N0} in, {t.BytesOut:N0} out"));
        if (t.WorkersByState.Count > 0 || t.WorkerCrashes > 0)
        {
            string states = string.Join(", ", t.WorkersByState.OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => $"{s.Value} {s.Key}"));
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"workers: {(states.Length > 0 ? states : "none")}; {t.WorkerCrashes:N0} crashed"));
        }

        if (t.UdpEchoed is { } echoed)
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"udp: {echoed:N0} datagrams echoed, {t.UdpRefused ?? 0:N0} refused"));
        }
    }

    private static string Number(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    private static string Id(int pid) => pid.ToString(CultureInfo.InvariantCulture);

    private static string Since(DateTimeOffset since, DateTimeOffset now) =>
        since.ToLocalTime().ToString("HH:mm:ss", CultureInfo.InvariantCulture) + $" ({Age(now - since)} ago)";

    private static string Age(TimeSpan age) => age switch
    {
        { TotalSeconds: < 60 } => string.Create(CultureInfo.InvariantCulture, $"{Math.Max(0, (int)age.TotalSeconds)}s"),
        { TotalMinutes: < 60 } => string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalMinutes}m{age.Seconds:00}s"),
        { TotalHours: < 48 } => string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalHours}h{age.Minutes:00}m"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{(int)age.TotalDays}d{age.Hours:00}h"),
    };
}
