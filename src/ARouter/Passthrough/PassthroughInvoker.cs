using System.Net;
using ARouter.Upstream;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Forwarder;

namespace ARouter.Passthrough;

/// <summary>The one pooled client YARP forwards with, set up as YARP advises for a proxy.</summary>
public sealed class PassthroughInvoker : IDisposable
{
    public PassthroughInvoker(IOptions<UpstreamOptions> upstream)
    {
        var options = upstream.Value;
        Invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(options.ConnectTimeoutSeconds),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            // Bodies pass through as the provider sent them; the request asks for no compression (see ProviderKeyTransform).
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            AllowAutoRedirect = false,
            EnableMultipleHttp2Connections = true,
            ActivityHeadersPropagator = null,
            // A caller that leaves closes the upstream connection, so the provider stops generating.
            MaxResponseDrainSize = 0,
        });
        // Until the first byte a non-streamed completion may take the whole generation; after it, silence is bounded.
        RequestConfig = new ForwarderRequestConfig
        {
            ActivityTimeout = TimeSpan.FromSeconds(Math.Max(options.FirstByteTimeoutSeconds, options.StreamIdleTimeoutSeconds)),
        };
    }

    public HttpMessageInvoker Invoker { get; }
    public ForwarderRequestConfig RequestConfig { get; }

    public void Dispose() => Invoker.Dispose();
}
