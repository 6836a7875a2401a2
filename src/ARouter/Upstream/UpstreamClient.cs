using System.Net;
using System.Net.Sockets;
using ARouter.Catalog;
using ARouter.Dialects.Canonical;
using Microsoft.Extensions.Options;

namespace ARouter.Upstream;

/// <summary>An upstream response whose headers have arrived; disposing it aborts the upstream call.</summary>
public sealed class UpstreamCall(HttpResponseMessage response, UpstreamDeadline deadline) : IDisposable
{
    public HttpResponseMessage Response { get; } = response;
    /// <summary>Cancels on client abort, on the first-byte, idle or total timeout.</summary>
    public UpstreamDeadline Deadline { get; } = deadline;

    public void Dispose()
    {
        Response.Dispose();
        Deadline.Dispose();
    }
}

/// <summary>Sends one request to a provider over pooled connections, turning transport failures into gateway errors.</summary>
/// <remarks>
/// It sends through the factory's handler with an <see cref="HttpMessageInvoker"/>, not an <see cref="HttpClient"/>: the
/// client's one addition used here would be a linked cancellation source per request (its own pending-requests token
/// joined to the caller's), and the deadline already cancels the call.
/// </remarks>
public sealed class UpstreamClient(IHttpMessageHandlerFactory handlers, IOptions<UpstreamOptions> options)
{
    public const string HttpClientName = "upstream";
    private static readonly HttpRequestOptionsKey<TimeSpan> ConnectTimeoutKey = new("arouter.connect-timeout");
    /// <summary>The connect timeout when a request carries none (the request's options dictionary is only made for another).</summary>
    private static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);

    public UpstreamOptions Options => options.Value;

    /// <param name="callerHeaders">Headers the caller sent that the provider should see (an Anthropic caller's <c>anthropic-beta</c>); they win over the catalog's.</param>
    public async Task<(UpstreamCall? Call, GatewayError? Error)> SendAsync(ProviderEndpoint endpoint, string? apiKey, Uri uri, HttpContent body, bool stream, CancellationToken clientAborted,
        IEnumerable<KeyValuePair<string, string>>? callerHeaders = null)
    {
        var slug = endpoint.Provider.Slug;
        var timeouts = options.Value.TimeoutsFor(slug);
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = body, Version = HttpVersion.Version11 };
        if (timeouts.Connect != DefaultConnectTimeout) request.Options.Set(ConnectTimeoutKey, timeouts.Connect);
        ApplyAuth(request, endpoint.Provider.Auth, apiKey ?? endpoint.ApiKey ?? "");
        foreach (var (name, value) in callerHeaders ?? []) request.Headers.TryAddWithoutValidation(name, value);
        foreach (var (name, value) in endpoint.Provider.Quirks.RequiredHeaders)
            if (!request.Headers.Contains(name)) request.Headers.TryAddWithoutValidation(name, value);
        request.Headers.TryAddWithoutValidation("Accept", stream ? "text/event-stream" : "application/json");

        var deadline = new UpstreamDeadline(timeouts, clientAborted);
        try
        {
            // Like HttpClient's ResponseHeadersRead: the body is left to the relay. The handler is the factory's; not ours to dispose.
            using var invoker = new HttpMessageInvoker(handlers.CreateHandler(HttpClientName), disposeHandler: false);
            var response = await invoker.SendAsync(request, deadline.Token);
            deadline.HeadersArrived(stream);
            return (new UpstreamCall(response, deadline), null);
        }
        catch (OperationCanceledException) when (deadline.Expired is not null)
        {
            var message = deadline.Describe(slug);
            deadline.Dispose();
            return (null, new GatewayError(ErrorStage.UpstreamTimeout, 504, message));
        }
        catch (HttpRequestException e)
        {
            deadline.Dispose();
            var stage = e.HttpRequestError == HttpRequestError.ConnectionError ? ErrorStage.UpstreamConnect : ErrorStage.UpstreamFailed;
            var why = e.InnerException is TimeoutException ? $"no connection within {timeouts.Connect.TotalSeconds:0.###} s" : Describe(e.HttpRequestError);
            return (null, new GatewayError(stage, 502, $"Could not reach provider '{slug}': {why}."));
        }
        catch
        {
            deadline.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The pooled handler for provider calls. Connecting goes through <see cref="ConnectAsync"/> so each provider's
    /// own connect timeout applies while all providers share one handler.
    /// </summary>
    public static SocketsHttpHandler CreateHandler() => new()
    {
        ConnectCallback = ConnectAsync,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        AutomaticDecompression = DecompressionMethods.All,
        UseCookies = false,
        AllowAutoRedirect = false,
        EnableMultipleHttp2Connections = true,
        // An abandoned response (the caller left mid-stream) closes its connection at once so the
        // provider stops generating, instead of being drained in the background for reuse.
        MaxResponseDrainSize = 0,
        // The gateway's trace context stays inside: no traceparent/tracestate to a third-party provider. The client
        // spans themselves are still recorded when tracing is on.
        ActivityHeadersPropagator = System.Diagnostics.DistributedContextPropagator.CreateNoOutputPropagator(),
    };

    private static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var limit = context.InitialRequestMessage.Options.TryGetValue(ConnectTimeoutKey, out var own) ? own : DefaultConnectTimeout;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(limit);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, timeout.Token);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            socket.Dispose();
            // Surfaces as a connection failure (HttpRequestError.ConnectionError), so fallback moves on.
            throw new TimeoutException("The connection was not established in time.");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static void ApplyAuth(HttpRequestMessage request, AuthStyle style, string apiKey)
    {
        switch (style)
        {
            case AuthStyle.XApiKey: request.Headers.TryAddWithoutValidation("x-api-key", apiKey); break;
            case AuthStyle.XGoogApiKey: request.Headers.TryAddWithoutValidation("x-goog-api-key", apiKey); break;
            default: request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + apiKey); break;
        }
    }

    private static string Describe(HttpRequestError error) => error switch
    {
        HttpRequestError.NameResolutionError => "name resolution failed",
        HttpRequestError.ConnectionError => "connection failed",
        HttpRequestError.SecureConnectionError => "TLS handshake failed",
        HttpRequestError.ResponseEnded => "the connection closed before a response",
        HttpRequestError.InvalidResponse => "invalid HTTP response",
        _ => "transport error",
    };
}
