using System.Net.Http.Headers;
using ARouter.Catalog;
using ARouter.Dialects.Canonical;
using Microsoft.Extensions.Options;

namespace ARouter.Upstream;

/// <summary>An upstream response whose headers have arrived; disposing it aborts the upstream call.</summary>
public sealed class UpstreamCall(HttpResponseMessage response, CancellationTokenSource timeout) : IDisposable
{
    public HttpResponseMessage Response { get; } = response;
    /// <summary>Cancels on client abort or on the stream idle timeout; re-armed per event.</summary>
    public CancellationTokenSource Timeout { get; } = timeout;
    public bool TimedOut { get; set; }

    public void Dispose()
    {
        Response.Dispose();
        Timeout.Dispose();
    }
}

/// <summary>Sends one request to a provider over pooled connections, turning transport failures into gateway errors.</summary>
public sealed class UpstreamClient(IHttpClientFactory clients, IOptions<UpstreamOptions> options)
{
    public const string HttpClientName = "upstream";

    public UpstreamOptions Options => options.Value;

    /// <param name="callerHeaders">Headers the caller sent that the provider should see (an Anthropic caller's <c>anthropic-beta</c>); they win over the catalog's.</param>
    public async Task<(UpstreamCall? Call, GatewayError? Error)> SendAsync(ProviderEndpoint endpoint, string? apiKey, Uri uri, HttpContent body, bool stream, CancellationToken clientAborted,
        IEnumerable<KeyValuePair<string, string>>? callerHeaders = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = body, Version = new Version(1, 1) };
        ApplyAuth(request, endpoint.Provider.Auth, apiKey ?? endpoint.ApiKey ?? "");
        foreach (var (name, value) in callerHeaders ?? []) request.Headers.TryAddWithoutValidation(name, value);
        foreach (var (name, value) in endpoint.Provider.Quirks.RequiredHeaders)
            if (!request.Headers.Contains(name)) request.Headers.TryAddWithoutValidation(name, value);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(stream ? "text/event-stream" : "application/json"));

        var timeout = CancellationTokenSource.CreateLinkedTokenSource(clientAborted);
        timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.FirstByteTimeoutSeconds));
        try
        {
            var response = await clients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            timeout.CancelAfter(Timeout.InfiniteTimeSpan);
            return (new UpstreamCall(response, timeout), null);
        }
        catch (OperationCanceledException) when (!clientAborted.IsCancellationRequested)
        {
            timeout.Dispose();
            return (null, new GatewayError(ErrorStage.UpstreamTimeout, 504, $"Provider '{endpoint.Provider.Slug}' did not answer within {options.Value.FirstByteTimeoutSeconds:0.###} s."));
        }
        catch (HttpRequestException e)
        {
            timeout.Dispose();
            var stage = e.HttpRequestError == HttpRequestError.ConnectionError ? ErrorStage.UpstreamConnect : ErrorStage.UpstreamFailed;
            return (null, new GatewayError(stage, 502, $"Could not reach provider '{endpoint.Provider.Slug}': {Describe(e.HttpRequestError)}."));
        }
        catch
        {
            timeout.Dispose();
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
