using System.Net;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace ARouter.Tests.Dashboard;

/// <summary>A page as a browser would get it: status, redirect target, parsed HTML.</summary>
public sealed record PageResponse(int Status, string? Location, string Text, IDocument Html, HttpResponseMessage Response)
{
    /// <summary>The visible text of the main content, whitespace collapsed.</summary>
    public string MainText => string.Join(' ', (Html.QuerySelector("main")?.TextContent ?? "").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
}

/// <summary>
/// A cookie-keeping HTTP client that drives the dashboard's real pages and forms, anti-forgery token
/// included, the way a browser does (no redirects followed, so tests see each step).
/// </summary>
public sealed class PageClient : IDisposable
{
    public const string Password = "correct horse battery staple";
    private static readonly HtmlParser Parser = new();
    private readonly HttpClient _http;

    public PageClient(Uri baseAddress)
    {
        Cookies = new CookieContainer();
        _http = new HttpClient(new SocketsHttpHandler { CookieContainer = Cookies, UseCookies = true, AllowAutoRedirect = false })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };
    }

    public CookieContainer Cookies { get; }
    public Uri BaseAddress => _http.BaseAddress!;

    public static Task<PageClient> SignUpAsync(GatewayHost gateway, string? email = null) => SignUpAsyncWith(gateway, email ?? $"user-{Guid.NewGuid():n}@example.com", Password);

    public static async Task<PageClient> SignUpAsyncWith(GatewayHost gateway, string email, string password)
    {
        var client = new PageClient(gateway.BaseAddress);
        var page = await client.SubmitAsync("/signup", "/signup", new() { ["email"] = email, ["password"] = password });
        Assert.Equal(302, page.Status);
        return client;
    }

    public async Task<PageResponse> GetAsync(string path, Action<HttpRequestMessage>? prepare = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        prepare?.Invoke(request);
        return await ReadAsync(await _http.SendAsync(request));
    }

    /// <summary>Posts form fields as they are, without adding a token (to prove the token is required).</summary>
    public async Task<PageResponse> PostRawAsync(string path, Dictionary<string, string> fields)
        => await ReadAsync(await _http.PostAsync(path, new FormUrlEncodedContent(fields)));

    /// <summary>Loads <paramref name="pagePath"/>, takes the anti-forgery token of its form whose action contains each &amp;-separated part of <paramref name="action"/>, and submits it with <paramref name="fields"/>.</summary>
    public async Task<PageResponse> SubmitAsync(string pagePath, string action, Dictionary<string, string> fields)
    {
        var page = await GetAsync(pagePath);
        Assert.True(page.Status == 200, $"GET {pagePath} gave {page.Status}");
        var parts = action.Split('&');
        var form = page.Html.QuerySelectorAll("form").FirstOrDefault(f => parts.All(p => (f.GetAttribute("action") ?? pagePath).Contains(p, StringComparison.OrdinalIgnoreCase)))
            ?? throw new InvalidOperationException($"No form posting to '{action}' on {pagePath}.");
        var all = new Dictionary<string, string>(fields);
        foreach (var hidden in form.QuerySelectorAll("input[type=hidden]"))
            all.TryAdd(hidden.GetAttribute("name")!, hidden.GetAttribute("value") ?? "");
        return await PostRawAsync(form.GetAttribute("action") ?? pagePath, all);
    }

    /// <summary>Any anti-forgery token this session was given, to post a form the page did not offer (e.g. for another account's key).</summary>
    public async Task<string> TokenAsync(string pagePath = "/keys")
    {
        var page = await GetAsync(pagePath);
        return page.Html.QuerySelector("input[name=__csrf]")!.GetAttribute("value")!;
    }

    private static async Task<PageResponse> ReadAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return new PageResponse((int)response.StatusCode, response.Headers.Location?.OriginalString, text, Parser.ParseDocument(text), response);
    }

    public void Dispose() => _http.Dispose();
}
