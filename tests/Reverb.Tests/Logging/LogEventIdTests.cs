using System.Reflection;
using Microsoft.Extensions.Logging;
using Reverb.Commands;
using Reverb.Echo;
using Reverb.Hosting;
using Reverb.Listening;
using Reverb.Monitoring;
using Reverb.Protocol;
using Reverb.Serving;
using Reverb.Supervision;
using Reverb.Udp;

namespace Reverb.Tests.Logging;

/// <summary>
/// Every log event of the server (Reverb.Core and reverb) is a source-generated [LoggerMessage] with a
/// named id of its own, inside its area's range: a line's id says what happened, and one id never means two things.
/// </summary>
public sealed class LogEventIdTests
{
    /// <summary>Each area's log class and its range of event ids (200–259 are the deployment's).</summary>
    private static readonly (Type LogClass, int First, int Last)[] Ranges =
    [
        (typeof(ServerLog), 1, 29),
        (typeof(HostingLog), 30, 39),
        (typeof(ForkerLog), 40, 59),
        (typeof(WorkerLog), 60, 79),
        (typeof(MonitoringLog), 80, 99),
        (typeof(ServeLog), 100, 119),
        (typeof(EchoLog), 120, 129),
        (typeof(ListeningLog), 130, 139),
        (typeof(UdpLog), 140, 159),
        (typeof(ProtocolLog), 160, 169),
    ];

    private static readonly (int First, int Last) Reserved = (200, 259);

    private static IEnumerable<(MethodInfo Method, LoggerMessageAttribute Event)> Events() =>
        new[] { typeof(ServerLog).Assembly, typeof(ServeLog).Assembly }
            .SelectMany(assembly => assembly.GetTypes())
            .SelectMany(type => type.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Select(method => (method, method.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(e => e.Item2 is not null)
            .Select(e => (e.method, e.Item2!));

    private static string Name(MethodInfo method) => $"{method.DeclaringType!.Name}.{method.Name}";

    [Fact]
    public void Both_assemblies_have_their_events_found()
    {
        var events = Events().ToList();
        Assert.Contains(events, e => Name(e.Method) == "ServerLog.Accepted" && e.Event.EventId == 1);
        Assert.Contains(events, e => Name(e.Method) == "ForkerLog.ChildDied" && e.Event.EventId == 43);
    }

    [Fact]
    public void Every_event_has_a_name_and_an_id_of_its_own()
    {
        var events = Events().ToList();
        Assert.All(events, e => Assert.False(string.IsNullOrEmpty(e.Event.EventName), $"{Name(e.Method)} has no EventName"));
        Assert.All(events, e => Assert.True(e.Event.EventId > 0, $"{Name(e.Method)} has event id {e.Event.EventId}"));

        string[] sharedIds = [.. events.GroupBy(e => e.Event.EventId).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(e => Name(e.Method)))}")];
        Assert.True(sharedIds.Length == 0, "event ids used twice: " + string.Join("; ", sharedIds));
        string[] sharedNames = [.. events.GroupBy(e => e.Event.EventName).Where(g => g.Count() > 1).Select(g => g.Key!)];
        Assert.True(sharedNames.Length == 0, "event names used twice: " + string.Join(", ", sharedNames));
    }

    [Fact]
    public void Every_event_is_in_its_area_s_range()
    {
        foreach ((MethodInfo method, LoggerMessageAttribute logged) in Events())
        {
            int index = Array.FindIndex(Ranges, r => r.LogClass == method.DeclaringType);
            if (index < 0)
            {
                Assert.True(
                    logged.EventId >= Reserved.First && logged.EventId <= Reserved.Last,
                    $"{Name(method)}: {method.DeclaringType!.Name} has no range of event ids; give it one here and in its class's remarks");
                continue;
            }

            (_, int first, int last) = Ranges[index];
            Assert.True(logged.EventId >= first && logged.EventId <= last, $"{Name(method)} has id {logged.EventId}, outside its area's {first}–{last}");
        }
    }

    [Fact]
    public void The_ranges_do_not_overlap()
    {
        var ordered = Ranges.Select(r => (r.First, r.Last)).Append(Reserved).OrderBy(r => r.First).ToList();
        for (int i = 1; i < ordered.Count; i++)
        {
            Assert.True(ordered[i - 1].Last < ordered[i].First, $"{ordered[i - 1]} overlaps {ordered[i]}");
        }
    }
}
