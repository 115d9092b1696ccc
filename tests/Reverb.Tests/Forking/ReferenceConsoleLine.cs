using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Reverb.Echo;
using Reverb.Logging;

namespace Reverb.Tests.Forking;

/// <summary>
/// What Microsoft's SimpleConsole and JsonConsole formatters, configured as ReverbLogging configures
/// them (ReverbLogging's own settings), print for the chunk event (EchoLog.Chunk): the reference the child's lines must equal.
/// </summary>
internal static class ReferenceConsoleLine
{
    public static string Write(bool json, string category, string peer, string chunk)
    {
        using ServiceProvider services = new ServiceCollection().AddLogging(builder =>
        {
            builder.AddJsonConsole(ReverbLogging.ConfigureJson);
            builder.AddSimpleConsole(ReverbLogging.ConfigureText);
        }).BuildServiceProvider();
        ConsoleFormatter formatter = services.GetServices<ConsoleFormatter>().Single(f => f.Name == (json ? ConsoleFormatterNames.Json : ConsoleFormatterNames.Simple));
        using var writer = new StringWriter();
        EchoLog.Chunk(new FormattingLogger(formatter, category, writer), peer, chunk);
        return writer.ToString();
    }

    private sealed class FormattingLogger(ConsoleFormatter formatter, string category, TextWriter writer) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => NullLogger.Instance.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> format) =>
            formatter.Write(new LogEntry<TState>(logLevel, category, eventId, state, exception, format), new LoggerExternalScopeProvider(), writer);
    }
}
