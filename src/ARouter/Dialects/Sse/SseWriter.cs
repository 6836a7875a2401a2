using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;

namespace ARouter.Dialects.Sse;

/// <summary>
/// The gateway's one SSE writer: frames each event onto the response's <see cref="PipeWriter"/> and
/// flushes it at once, so nothing is held back.
/// </summary>
public sealed class SseWriter(PipeWriter output)
{
    private readonly Utf8JsonWriter _json = new(output, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });

    /// <summary>Writes <c>[event: name\n]data: {json}\n\n</c> and flushes.</summary>
    public async ValueTask WriteJsonAsync(string? eventName, Action<Utf8JsonWriter> writeData, CancellationToken ct)
    {
        if (eventName is not null)
        {
            output.Write("event: "u8);
            output.Write(System.Text.Encoding.UTF8.GetBytes(eventName));
            output.Write("\n"u8);
        }
        output.Write("data: "u8);
        _json.Reset(output);
        writeData(_json);
        _json.Flush();
        output.Write("\n\n"u8);
        await FlushAsync(ct);
    }

    public async ValueTask WriteDoneAsync(CancellationToken ct)
    {
        output.Write("data: [DONE]\n\n"u8);
        await FlushAsync(ct);
    }

    private async ValueTask FlushAsync(CancellationToken ct)
    {
        var result = await output.FlushAsync(ct);
        if (result.IsCanceled || result.IsCompleted) throw new ClientGoneException();
    }
}
