using System.Collections.Frozen;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ARouter.Dashboard;

/// <summary>
/// The dashboard's stylesheet and script, embedded in the binary (no wwwroot to deploy, no CDN) and served
/// at <c>/assets/{name}</c>. Links carry a content hash, so a new build is never served from a stale cache.
/// </summary>
public static class DashboardAssets
{
    private sealed record Asset(byte[] Content, string ContentType, string Hash);

    private static readonly FrozenDictionary<string, Asset> Assets = Load();

    /// <summary>The URL a page links to, with the content hash as cache buster.</summary>
    public static string Url(string name) => $"/assets/{name}?v={Assets[name].Hash}";

    public static void Map(WebApplication app) => app.MapGet("/assets/{name}", (HttpContext http, string name) =>
    {
        if (!Assets.TryGetValue(name, out var asset)) return Results.NotFound();
        var etag = $"\"{asset.Hash}\"";
        http.Response.Headers.CacheControl = http.Request.Query["v"] == asset.Hash ? "public, max-age=31536000, immutable" : "no-cache";
        http.Response.Headers.ETag = etag;
        http.Response.Headers.XContentTypeOptions = "nosniff";
        if (http.Request.Headers.IfNoneMatch == etag) return Results.StatusCode(StatusCodes.Status304NotModified);
        return Results.Bytes(asset.Content, asset.ContentType);
    });

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(DashboardAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("dashboard/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var content = buffer.ToArray();
            var name = resource["dashboard/".Length..];
            var type = name.EndsWith(".css", StringComparison.Ordinal) ? "text/css; charset=utf-8"
                : name.EndsWith(".js", StringComparison.Ordinal) ? "text/javascript; charset=utf-8"
                : name.EndsWith(".svg", StringComparison.Ordinal) ? "image/svg+xml" : "application/octet-stream";
            assets[name] = new Asset(content, type, Convert.ToHexStringLower(SHA256.HashData(content))[..12]);
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
