using Reverb.Monitoring;
using Reverb.Protocol;
using Reverb.Serving;

namespace Reverb.Supervision;

/// <summary>A worker's side of a status query: one message per open connection (unless only totals are asked), then its totals.</summary>
internal static class WorkerStatusReply
{
    public static void Send(WorkerChannel channel, ChannelMessage query, ConnectionTable table)
    {
        if (query.TotalsOnly)
        {
            channel.Send(ChannelMessage.Totals(query.A, table.Totals()));
            return;
        }

        Send(channel, query.A, table);
    }

    public static void Send(WorkerChannel channel, long requestId, ConnectionTable table)
    {
        foreach (LiveConnection connection in table.Live())
        {
            channel.Send(ChannelMessage.Report(requestId, connection));
        }

        channel.Send(ChannelMessage.Totals(requestId, table.Totals()));
    }
}
