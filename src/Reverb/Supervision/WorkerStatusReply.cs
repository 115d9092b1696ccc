using Reverb.Monitoring;

namespace Reverb.Supervision;

/// <summary>A worker's side of a status query: one message per open connection, then its totals.</summary>
internal static class WorkerStatusReply
{
    public static void Send(WorkerChannel channel, long requestId, ConnectionTable table)
    {
        foreach (LiveConnection connection in table.Live())
        {
            channel.Send(ChannelMessage.Report(requestId, connection));
        }

        channel.Send(ChannelMessage.Totals(requestId, table.Totals()));
    }
}
