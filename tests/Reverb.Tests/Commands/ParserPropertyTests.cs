using System.Globalization;
using System.Net;
using System.Net.Sockets;
using CsCheck;
using Reverb.Commands;
using Reverb.Hosting;
using Reverb.Listening;
using Reverb.Monitoring;

namespace Reverb.Tests.Commands;

/// <summary>
/// Property tests for the parsers that face the user or the network: durations, listen addresses and
/// the metrics request line. Arbitrary input gives a parser's own answer (false, its own exception
/// type, a 400), never anything else; well-formed input round-trips.
/// </summary>
public sealed class ParserPropertyTests
{
    private static readonly Gen<string> AnyText = Gen.OneOf(
        Gen.String,
        Gen.String[Gen.Char["0123456789.:/[]%msh -+eE\t\r\nGETHEAD/ metricsHTTP?"], 0, 40]);

    [Fact]
    public void Durations_arbitrary_text_is_accepted_or_refused_never_thrown()
    {
        AnyText.Sample(text =>
        {
            if (DurationParser.TryParse(text, out TimeSpan duration))
            {
                Assert.True(duration >= TimeSpan.Zero);
            }
        });
    }

    [Fact]
    public void Durations_well_formed_ones_round_trip()
    {
        (string Suffix, double Seconds)[] units = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("", 1), ("MS", 0.001), ("S", 1)];
        Gen.Select(Gen.Int[0, 1_000_000], Gen.Int[0, 9], Gen.Int[0, units.Length - 1], Gen.Bool)
            .Sample((whole, tenths, unit, spaced) =>
            {
                (string suffix, double seconds) = units[unit];
                string number = tenths == 0 ? whole.ToString(CultureInfo.InvariantCulture) : $"{whole}.{tenths}";
                string text = spaced ? $" {number}{suffix} " : $"{number}{suffix}";
                Assert.True(DurationParser.TryParse(text, out TimeSpan parsed), text);
                Assert.Equal(TimeSpan.FromSeconds(double.Parse(number, CultureInfo.InvariantCulture) * seconds), parsed);
            });
    }

    [Fact]
    public void Listen_addresses_arbitrary_text_resolves_or_is_a_ServerStartException()
    {
        // Host names go to a lookup that stays off the network and fails as a resolver would.
        AnyText.Sample(text =>
        {
            try
            {
                ListenEndpoint.Resolve(text, 7, _ => throw new SocketException((int)SocketError.HostNotFound));
            }
            catch (ServerStartException)
            {
            }
        });
    }

    [Fact]
    public void Listen_addresses_every_IP_address_round_trips_with_or_without_brackets()
    {
        Gen.Select(Gen.Bool, Gen.Byte.Array[16], Gen.Int[0, 65535], Gen.Bool)
            .Sample((ipv4, bytes, port, bracketed) =>
            {
                var address = new IPAddress(ipv4 ? bytes[..4] : bytes);
                string host = !ipv4 && bracketed ? $"[{address}]" : address.ToString();
                ListenEndpoint endpoint = ListenEndpoint.Resolve(host, port, _ => throw new InvalidOperationException("an address needs no lookup"));
                Assert.Equal(address, endpoint.Address);
                Assert.Equal(port, endpoint.Port);
                Assert.Equal(new IPEndPoint(address, port).ToString(), endpoint.ToString());
            });
    }

    [Fact]
    public void Metrics_request_lines_arbitrary_text_gets_an_answer_never_an_exception()
    {
        Gen.OneOf(AnyText, Gen.Const((string)null!)).Sample(line =>
        {
            MetricsRequest request = MetricsRequest.Parse(line);
            Assert.True(Enum.IsDefined(request.Kind));
        });
    }

    [Fact]
    public void Metrics_request_lines_well_formed_ones_are_understood()
    {
        string[] paths = ["/metrics", "/metrics/", "/", "/other", "/metrics?name[]=x", "/healthz", "/healthz/x", "/livez"];
        Gen.Select(Gen.Bool, Gen.Int[0, paths.Length - 1], Gen.Int[0, 1], Gen.String[Gen.Char.AlphaNumeric, 0, 8])
            .Sample((get, path, minor, query) =>
            {
                string target = query.Length > 0 && !paths[path].Contains('?', StringComparison.Ordinal) ? $"{paths[path]}?{query}" : paths[path];
                MetricsRequest request = MetricsRequest.Parse($"{(get ? "GET" : "HEAD")} {target} HTTP/1.{minor}");
                bool metrics = paths[path] is "/metrics" or "/metrics/" || paths[path].StartsWith("/metrics?", StringComparison.Ordinal);
                MetricsRequestKind expected = paths[path] switch
                {
                    _ when metrics => MetricsRequestKind.Metrics,
                    "/healthz" => MetricsRequestKind.Health,
                    "/livez" => MetricsRequestKind.Liveness,
                    _ => MetricsRequestKind.NotFound,
                };
                Assert.Equal(expected, request.Kind);
                Assert.Equal(get, request.WithBody);
            });
    }

    [Theory]
    [InlineData("POST /metrics HTTP/1.1", MetricsRequestKind.MethodNotAllowed)]
    [InlineData("GET /metrics", MetricsRequestKind.BadRequest)]
    [InlineData("GET /metrics HTTP/2", MetricsRequestKind.BadRequest)]
    [InlineData("GET  /metrics HTTP/1.1", MetricsRequestKind.BadRequest)]
    [InlineData("", MetricsRequestKind.BadRequest)]
    public void Metrics_request_lines_that_are_not_a_scrape(string line, object kind)
    {
        Assert.Equal((MetricsRequestKind)kind, MetricsRequest.Parse(line).Kind);
    }
}
