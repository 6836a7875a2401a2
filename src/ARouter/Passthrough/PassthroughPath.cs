using System.Text;
using System.Text.RegularExpressions;
using ARouter.Catalog;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace ARouter.Passthrough;

/// <summary>
/// The provider path of a passthrough request, checked on the raw request target. Kestrel removes dot
/// segments before routing and <see cref="Uri"/> decodes <c>%2e</c>, so a path is judged as the caller
/// sent it: anything that could climb out of the provider's base path, or name another host, is refused.
/// </summary>
public static partial class PassthroughPath
{
    /// <summary>How often a path is percent-decoded while looking for dot segments (catches <c>%252e</c>).</summary>
    private const int DecodeRounds = 3;

    /// <summary>The raw path and query the caller sent, before Kestrel normalised anything.</summary>
    public static (string Path, string Query) RawTarget(HttpContext http)
    {
        var raw = http.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw)) raw = http.Request.Path.ToUriComponent() + http.Request.QueryString.Value;
        if (!raw.StartsWith('/') && Uri.TryCreate(raw, UriKind.Absolute, out var absolute)) raw = absolute.PathAndQuery;
        var question = raw.IndexOf('?');
        return question < 0 ? (raw, "") : (raw[..question], raw[question..]);
    }

    /// <summary>Why the raw path could leave the provider, or null when it cannot.</summary>
    public static string? FindEscape(string rawPath)
    {
        var text = rawPath;
        for (var round = 0; round <= DecodeRounds; round++)
        {
            if (text.Contains('\\') || text.Contains("%5c", StringComparison.OrdinalIgnoreCase)) return "backslashes are not allowed in a provider path";
            if (text.Contains("//", StringComparison.Ordinal)) return "empty path segments ('//') are not allowed in a provider path";
            foreach (var range in text.AsSpan().Split('/'))
            {
                if (text.AsSpan(range) is "." or "..") return "'.' and '..' segments (in any encoding) are not allowed in a provider path";
            }
            // char.IsControl's two ranges.
            if (text.AsSpan().ContainsAnyInRange('\u0000', '\u001f') || text.AsSpan().ContainsAnyInRange('\u007f', '\u009f'))
                return "control characters are not allowed in a provider path";
            var decoded = Uri.UnescapeDataString(text);
            if (decoded == text) break;
            text = decoded;
        }
        var remainder = Remainder(rawPath).TrimStart('/');
        if (SchemePrefix().IsMatch(Uri.UnescapeDataString(remainder))) return "a provider path cannot be an absolute URL";
        return null;
    }

    /// <summary>The raw path after the <c>/{provider}</c> segment, with its leading slash ("" for the provider root).</summary>
    public static string Remainder(string rawPath)
    {
        var second = rawPath.IndexOf('/', 1);
        return second < 0 ? "" : rawPath[second..];
    }

    /// <summary>The caller's query string without <c>key</c>, the one place a Gemini SDK puts the ARouter key; the rest stays byte for byte.</summary>
    public static string QueryWithoutKey(string rawQuery)
    {
        if (rawQuery.Length <= 1) return "";
        var kept = new StringBuilder();
        foreach (var part in rawQuery[1..].Split('&'))
        {
            if (part.Length == 0) continue;
            var equals = part.IndexOf('=');
            var name = Uri.UnescapeDataString((equals < 0 ? part : part[..equals]).Replace('+', ' '));
            if (name == "key") continue;
            kept.Append(kept.Length == 0 ? '?' : '&').Append(part);
        }
        return kept.ToString();
    }

    /// <summary>
    /// The upstream URI: the provider's base URL (its own path kept) + the caller's path and query. The host
    /// comes from the catalog or configuration only; the result is checked to still be under the base URL.
    /// </summary>
    public static Uri? Destination(ProviderEndpoint endpoint, string remainder, string query)
    {
        if (endpoint.BaseUri is not { } baseUri) return null;
        if (!Uri.TryCreate(endpoint.BaseUrl.TrimEnd('/') + remainder + query, UriKind.Absolute, out var destination)) return null;
        var sameOrigin = destination.Scheme == baseUri.Scheme && destination.IdnHost == baseUri.IdnHost && destination.Port == baseUri.Port;
        var basePath = baseUri.AbsolutePath.TrimEnd('/');
        var underBase = destination.AbsolutePath.StartsWith(basePath, StringComparison.Ordinal);
        return sameOrigin && underBase ? destination : null;
    }

    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9+.\-]*:", RegexOptions.CultureInvariant)]
    private static partial Regex SchemePrefix();
}
