using Reverb.Protocol;
using Reverb.Serving;

namespace Reverb.Supervision;

/// <summary>A worker's side of a status query: one message per open connection (unless only totals are asked), then its totals.</summary>
internal static class WorkerStatusReply
{
    public static void Send(WorkerChannel channel, ChannelMessage.Query query, ConnectionTable table)
    {
        if (!query.TotalsOnly)
        {
            foreach (LiveConnection connection in table.Live())
            {
                channel.Send(ChannelMessage.Report.Of(query.RequestId, connection));
            }
        }

        channel.Send(new ChannelMessage.Totals(query.RequestId, table.Totals()));
    }
}
