using System.Buffers;

namespace ARouter.Upstream;

/// <summary>
/// A provider's streamed body, kept until the relay is done with it. After the last event (OpenAI's <c>[DONE]</c>)
/// the body still has its end to come — the chunked encoding's last chunk — and a connection disposed before reading
/// it is closed, not pooled: <see cref="UpstreamClient"/> drains nothing on dispose, so that a caller who leaves stops
/// the provider at once. Every streamed request then opened a new connection, a TCP and TLS handshake with the
/// provider. <see cref="ReadToEnd"/> reads that end in the background (while the charge settles); disposing waits
/// for it. A body that does not end within a second, or sends more than 64 KiB after its last event, is closed.
/// </summary>
public sealed class UpstreamBody(HttpResponseMessage response) : IAsyncDisposable
{
    private const int MaxTrailingBytes = 64 * 1024;
    private static readonly TimeSpan TrailingTimeout = TimeSpan.FromSeconds(1);
    private Stream? _stream;
    private Task? _end;

    public async Task<Stream> OpenAsync(CancellationToken ct) => _stream = await response.Content.ReadAsStreamAsync(ct);

    public void ReadToEnd()
    {
        if (_stream is not null) _end ??= ReadToEndAsync(_stream);
    }

    private static async Task ReadToEndAsync(Stream stream)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            using var timeout = new CancellationTokenSource(TrailingTimeout);
            var total = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
                if ((total += read) > MaxTrailingBytes) return;
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or HttpRequestException or ObjectDisposedException)
        {
            // The connection is closed instead of pooled; the caller has its answer already.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_end is not null) await _end;
        if (_stream is not null) await _stream.DisposeAsync();
    }
}
