using System.Net;
using System.Net.Sockets;
using ARouter.Dialects.Canonical;
using Microsoft.Extensions.Options;

namespace ARouter.Upstream;

/// <summary>Limits for media the gateway downloads on a caller's behalf (<c>ARouter:Media</c>).</summary>
public sealed record MediaOptions
{
    public long MaxBytes { get; set; } = 20 * 1024 * 1024;
    public double TimeoutSeconds { get; set; } = 10;
    /// <summary>For gateways on a private network that must fetch from intranet hosts. Off by default.</summary>
    public bool AllowPrivateAddresses { get; set; }
}

/// <summary>
/// Downloads an image or PDF URL a provider cannot fetch itself (Gemini takes only inline data or its own
/// file URIs) and turns it into a <c>data:</c> URI. Only http(s); the address is checked at connect time —
/// after DNS, so a name that resolves to loopback, a private range, link-local (cloud metadata) or multicast
/// is refused even if it changed since the URL was written; redirects are not followed; size and time are capped.
/// </summary>
public sealed class MediaFetcher(IHttpClientFactory clients, IOptions<MediaOptions> options)
{
    public const string HttpClientName = "media";

    public static SocketsHttpHandler CreateHandler(bool allowPrivateAddresses) => new()
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ConnectCallback = async (context, ct) =>
        {
            var addresses = await Dns.GetHostAddressesAsync(context.DnsEndPoint.Host, ct);
            var allowed = addresses.FirstOrDefault(a => allowPrivateAddresses || IsPublic(a))
                ?? throw new HttpRequestException(HttpRequestError.ConnectionError, $"'{context.DnsEndPoint.Host}' is not a public address.");
            var socket = new Socket(allowed.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(allowed, context.DnsEndPoint.Port), ct);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>Returns the request with every remote image and document inlined, or the error that says which one could not be.</summary>
    /// <param name="documentsOnly">OpenAI-wire providers fetch image URLs themselves but take PDFs only as <c>file_data</c>.</param>
    public ValueTask<(ChatRequest? Request, GatewayError? Error)> InlineAsync(ChatRequest request, CancellationToken ct, bool documentsOnly = false)
    {
        // Most requests carry no remote media: answered without a state machine, a closure or an enumerator.
        var messages = request.Messages;
        for (var i = 0; i < messages.Count; i++)
        {
            var content = messages[i].Content;
            for (var j = 0; j < content.Count; j++)
                if (IsRemote(content[j], documentsOnly)) return new(InlineRemoteAsync(request, ct, documentsOnly));
        }
        return new((request, null));
    }

    private async Task<(ChatRequest? Request, GatewayError? Error)> InlineRemoteAsync(ChatRequest request, CancellationToken ct, bool documentsOnly)
    {
        var messages = new List<ChatMessage>(request.Messages.Count);
        foreach (var message in request.Messages)
        {
            var parts = new List<ContentPart>(message.Content.Count);
            foreach (var part in message.Content)
            {
                if (!IsRemote(part, documentsOnly))
                {
                    parts.Add(part);
                    continue;
                }
                var url = part is ImagePart image ? image.Url : ((FilePart)part).Data!;
                var (dataUri, error) = await FetchAsync(url, ct);
                if (error is not null) return (null, error);
                parts.Add(part is ImagePart i ? i with { Url = dataUri! } : ((FilePart)part) with { Data = dataUri, MediaType = dataUri![5..dataUri!.IndexOf(';')] });
            }
            messages.Add(message with { Content = parts });
        }
        return (request with { Messages = messages }, null);
    }

    private async Task<(string? DataUri, GatewayError? Error)> FetchAsync(string url, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            return (null, GatewayError.BadRequest($"Media URL must be http or https: '{Shorten(url)}'.", "messages"));
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.TimeoutSeconds));
        try
        {
            using var response = await clients.CreateClient(HttpClientName).GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            if (!response.IsSuccessStatusCode)
                return (null, GatewayError.BadRequest($"Could not download media '{Shorten(url)}': HTTP {(int)response.StatusCode}.", "messages"));
            var mediaType = response.Content.Headers.ContentType?.MediaType ?? "";
            if (!mediaType.StartsWith("image/", StringComparison.Ordinal) && mediaType != "application/pdf")
                return (null, GatewayError.BadRequest($"Media '{Shorten(url)}' is '{mediaType}', not an image or a PDF.", "messages"));
            if (response.Content.Headers.ContentLength > options.Value.MaxBytes)
                return (null, TooBig(url));
            await using var stream = await response.Content.ReadAsStreamAsync(timeout.Token);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await stream.ReadAsync(chunk, timeout.Token)) > 0)
            {
                if (buffer.Length + read > options.Value.MaxBytes) return (null, TooBig(url));
                buffer.Write(chunk, 0, read);
            }
            return ($"data:{mediaType};base64,{Convert.ToBase64String(buffer.GetBuffer(), 0, (int)buffer.Length)}", null);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (null, GatewayError.BadRequest($"Downloading media '{Shorten(url)}' took longer than {options.Value.TimeoutSeconds:0.#} s.", "messages"));
        }
        catch (HttpRequestException)
        {
            return (null, GatewayError.BadRequest($"Could not download media '{Shorten(url)}': the host is unreachable or not a public address.", "messages"));
        }
    }

    private GatewayError TooBig(string url) => GatewayError.BadRequest($"Media '{Shorten(url)}' is larger than {options.Value.MaxBytes} bytes.", "messages");

    private static bool IsRemote(ContentPart part, bool documentsOnly) => IsRemote(part) && (!documentsOnly || part is FilePart);

    private static bool IsRemote(ContentPart part) => part switch
    {
        ImagePart image => !image.Url.StartsWith("data:", StringComparison.Ordinal),
        FilePart { Data: { } data } => !data.StartsWith("data:", StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>True for addresses on the public internet; false for loopback, private, link-local, CGNAT, multicast and unspecified ones.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address) || address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any) || address.Equals(IPAddress.Broadcast)) return false;
        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast || address.IsIPv6UniqueLocal) return false;
            // Forms that carry an IPv4 address (IPv4-compatible ::a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged by it.
            var v6 = address.GetAddressBytes();
            if (v6.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0) return IsPublic(new IPAddress(v6.AsSpan(12, 4)));
            if (v6.AsSpan(0, 12).SequenceEqual((ReadOnlySpan<byte>)[0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0])) return IsPublic(new IPAddress(v6.AsSpan(12, 4)));
            if (v6[0] == 0x20 && v6[1] == 0x02) return IsPublic(new IPAddress(v6.AsSpan(2, 4)));
            // 100::/64 is discard-only.
            return !(v6[0] == 0x01 && v6.AsSpan(1, 7).IndexOfAnyExcept((byte)0) < 0);
        }
        var b = address.GetAddressBytes();
        return b[0] switch
        {
            0 or 10 or 127 => false,
            100 when b[1] is >= 64 and <= 127 => false,
            169 when b[1] == 254 => false,
            172 when b[1] is >= 16 and <= 31 => false,
            192 when b[1] == 168 => false,
            192 when b[1] == 0 && b[2] is 0 or 2 => false,
            198 when b[1] is 18 or 19 => false,
            >= 224 => false,
            _ => true,
        };
    }

    private static string Shorten(string url) => url.Length <= 100 ? url : url[..100] + "…";
}
