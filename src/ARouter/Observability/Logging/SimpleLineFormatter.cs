using System.Buffers;
using System.Buffers.Text;
using System.Text;
using Microsoft.Extensions.Logging;
using ZLogger;

namespace ARouter.Observability.Logging;

/// <summary>
/// The default console logger's "simple" format, in UTF-8 without an intermediate string:
/// <c>info: Category[EventId]</c>, then the message on the next line indented by six spaces (each line of a multi-line
/// message or exception too, so text inside a message cannot pass for a line of its own). Used by one writer thread.
/// </summary>
internal sealed class SimpleLineFormatter : IZLoggerFormatter
{
    private static readonly byte[] Indent = "\n      "u8.ToArray();
    private readonly ArrayBufferWriter<byte> _message = new(1024);

    public bool WithLineBreak => true;

    public void FormatLogEntry(IBufferWriter<byte> writer, IZLoggerEntry entry)
    {
        var info = entry.LogInfo;
        writer.Write(Label(info.LogLevel));
        writer.Write(info.Category.Utf8Span);
        writer.Write("["u8);
        var digits = writer.GetSpan(11);
        Utf8Formatter.TryFormat(info.EventId.Id, digits, out var written);
        writer.Advance(written);
        writer.Write("]"u8);
        writer.Write(Indent);
        _message.ResetWrittenCount();
        entry.ToString(_message);
        WriteIndented(writer, _message.WrittenSpan);
        if (info.Exception is { } exception)
        {
            writer.Write(Indent);
            WriteIndented(writer, Encoding.UTF8.GetBytes(exception.ToString()));
        }
    }

    private static void WriteIndented(IBufferWriter<byte> writer, ReadOnlySpan<byte> text)
    {
        while (text.IndexOf((byte)'\n') is var newLine and >= 0)
        {
            writer.Write(text[..newLine].TrimEnd((byte)'\r'));
            writer.Write(Indent);
            text = text[(newLine + 1)..];
        }
        writer.Write(text);
    }

    private static ReadOnlySpan<byte> Label(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce: "u8,
        LogLevel.Debug => "dbug: "u8,
        LogLevel.Information => "info: "u8,
        LogLevel.Warning => "warn: "u8,
        LogLevel.Error => "fail: "u8,
        LogLevel.Critical => "crit: "u8,
        _ => "none: "u8,
    };
}
