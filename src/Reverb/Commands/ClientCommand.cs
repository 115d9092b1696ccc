using System.CommandLine;
using System.Globalization;
using Reverb.Client;

namespace Reverb.Commands;

/// <summary>`reverb client HOST PORT`: an echo client for any echo server, interactive or in a pipe.</summary>
internal static class ClientCommand
{
    public static Command Create()
    {
        var host = new Argument<string>("HOST") { Description = "Echo server address or name, e.g. 127.0.0.1." };
        var port = PortArgument.Create();
        var udp = new Option<bool>("--udp", "-u") { Description = "Send UDP datagrams (one per line, or per input chunk in a pipe) instead of a TCP stream." };
        var timeout = DurationParser.Option("--timeout", "-t", "5s", "TCP: how long to wait for the connection. UDP: how long to wait for each reply.", allowZero: false);

        var command = new Command(
            "client",
            "Talk to an echo server. From a terminal, each typed line is sent and its echo printed. "
            + "In a pipe, stdin is sent byte for byte and the echo written to stdout; it exits once input has ended "
            + "and the server has echoed everything and closed.")
        {
            host, port, udp, timeout,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            string hostName = parse.GetValue(host)!;
            int portNumber = parse.GetValue(port);
            var settings = new ClientSettings(
                await EndpointResolver.ResolveAsync(hostName, portNumber, cancellationToken).ConfigureAwait(false),
                string.Create(CultureInfo.InvariantCulture, $"{hostName}:{portNumber}"),
                parse.GetValue(timeout),
                Interactive: !Console.IsInputRedirected);
            return parse.GetValue(udp)
                ? await new UdpEchoClient(settings).RunAsync(cancellationToken).ConfigureAwait(false)
                : await new TcpEchoClient(settings).RunAsync(cancellationToken).ConfigureAwait(false);
        });
        return command;
    }
}
