using System.Text;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Tests.FakeUpstream;

namespace ARouter.Tests.Endpoints;

/// <summary>
/// Plain-HTTP calls in each caller dialect, as their SDKs send them (OpenAI Bearer, Anthropic <c>x-api-key</c> +
/// <c>anthropic-version</c>, Gemini <c>x-goog-api-key</c> with the model in the path), and readers for what comes back.
/// </summary>
public static class DialectCalls
{
    /// <summary>One upstream per wire dialect, each with PDF, vision, tools and reasoning in the catalog.</summary>
    public static readonly IReadOnlyDictionary<string, string> UpstreamModels = new Dictionary<string, string>
    {
        ["openai"] = "openai/gpt-5.4",
        ["anthropic"] = "anthropic/claude-sonnet-4.6",
        ["google"] = "google/gemini-2.5-flash",
    };

    public static readonly CallerDialect[] Callers = [CallerDialect.OpenAi, CallerDialect.Anthropic, CallerDialect.Gemini];

    /// <summary>Every (caller dialect, upstream slug) pair.</summary>
    public static TheoryData<CallerDialect, string> Pairs()
    {
        var data = new TheoryData<CallerDialect, string>();
        foreach (var caller in Callers)
            foreach (var slug in UpstreamModels.Keys) data.Add(caller, slug);
        return data;
    }

    /// <summary>Every (caller dialect, upstream slug, stream) triple.</summary>
    public static TheoryData<CallerDialect, string, bool> PairsStreamed()
    {
        var data = new TheoryData<CallerDialect, string, bool>();
        foreach (var caller in Callers)
            foreach (var slug in UpstreamModels.Keys)
            {
                data.Add(caller, slug, false);
                data.Add(caller, slug, true);
            }
        return data;
    }

    public static async Task<(int Status, string Body)> PostAsync(GatewayHost gateway, CallerDialect caller, string model, object body, bool stream, string key)
    {
        using var request = Request(caller, model, body, stream, key);
        using var response = await gateway.Client.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The HTTP request a caller dialect's SDK sends: its path (Gemini: the model in it) and its way of giving the key.</summary>
    public static HttpRequestMessage Request(CallerDialect caller, string model, object body, bool stream, string key)
    {
        var path = caller switch
        {
            CallerDialect.OpenAi => "/v1/chat/completions",
            CallerDialect.Anthropic => "/v1/messages",
            _ => $"/v1beta/models/{model}:" + (stream ? "streamGenerateContent?alt=sse" : "generateContent"),
        };
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(body as string ?? JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        switch (caller)
        {
            case CallerDialect.OpenAi: request.Headers.Authorization = new("Bearer", key); break;
            case CallerDialect.Anthropic:
                request.Headers.Add("x-api-key", key);
                request.Headers.Add("anthropic-version", "2023-06-01");
                break;
            default: request.Headers.Add("x-goog-api-key", key); break;
        }
        return request;
    }

    /// <summary>
    /// A fresh account with 5 USD calls <paramref name="slug"/>'s model with <paramref name="script"/> in place (then the
    /// default again); asserts a 200.
    /// </summary>
    public static async Task<(TestAccount Account, string Model, string Body)> ScriptedCallAsync(GatewayWithFakes fixture, CallerDialect caller, string slug, FakeScript script, bool stream, int maxTokens, Dictionary<string, object?> fields)
    {
        var model = UpstreamModels[slug];
        var account = await fixture.Gateway.CreateAccountAsync(5);
        fixture.Fakes.Script(slug, script);
        var (status, body) = await PostAsync(fixture.Gateway, caller, model, Body(caller, model, stream, maxTokens, fields), stream, account.Key);
        fixture.Fakes.Script(slug, FakeScript.Default);
        Assert.True(status == 200, body);
        return (account, model, body);
    }

    /// <summary>
    /// The request is refused before anything is sent: a 400 in the caller's dialect whose message names each of
    /// <paramref name="mentions"/>, no request at <paramref name="slug"/>, the balance untouched.
    /// </summary>
    public static async Task AssertRefusedAsync(GatewayWithFakes fixture, CallerDialect caller, string model, Dictionary<string, object?> fields, params string[] mentions)
    {
        var slug = model.Split('/')[0];
        var account = await fixture.Gateway.CreateAccountAsync(1);
        var before = fixture.Fakes.RequestsTo(slug).Count;
        var (status, body) = await PostAsync(fixture.Gateway, caller, model, Body(caller, model, false, 100, fields), false, account.Key);

        Assert.Equal(400, status);
        var root = JsonDocument.Parse(body).RootElement;
        var error = root.GetProperty("error");
        switch (caller)
        {
            case CallerDialect.Anthropic:
                Assert.Equal("error", root.GetProperty("type").GetString());
                Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
                break;
            case CallerDialect.Gemini:
                Assert.Equal("INVALID_ARGUMENT", error.GetProperty("status").GetString());
                break;
            default:
                Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
                break;
        }
        foreach (var mention in mentions) Assert.Contains(mention, error.GetProperty("message").GetString());
        Assert.Equal(before, fixture.Fakes.RequestsTo(slug).Count);
        Assert.Equal(1m, await fixture.Gateway.BalanceAsync(account.Key));
    }

    /// <summary>The request body in the caller's dialect: the model (except Gemini, where it is in the path), the stream flag and a max token count around <paramref name="fields"/>.</summary>
    public static Dictionary<string, object?> Body(CallerDialect caller, string model, bool stream, int maxTokens, Dictionary<string, object?> fields)
    {
        var body = new Dictionary<string, object?>(fields);
        switch (caller)
        {
            case CallerDialect.OpenAi:
                body["model"] = model;
                body["max_tokens"] = maxTokens;
                if (stream) body["stream"] = true;
                break;
            case CallerDialect.Anthropic:
                body["model"] = model;
                body["max_tokens"] = maxTokens;
                if (stream) body["stream"] = true;
                break;
            default:
                var config = body.TryGetValue("generationConfig", out var c) && c is Dictionary<string, object?> given ? given : [];
                config["maxOutputTokens"] = maxTokens;
                body["generationConfig"] = config;
                break;
        }
        return body;
    }

    /// <summary>The data payload of each SSE event.</summary>
    public static List<JsonElement> Events(string sse)
        => sse.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal) && l != "data: [DONE]").Select(l => JsonDocument.Parse(l[6..]).RootElement.Clone()).ToList();

    /// <summary>The newest transaction of the key's account.</summary>
    public static async Task<JsonElement> LastTransactionAsync(GatewayHost gateway, string key)
    {
        var (status, json) = await gateway.SendJsonAsync(HttpMethod.Get, "/api/v1/transactions?limit=1", key);
        Assert.Equal(200, status);
        return json.GetProperty("data")[0];
    }

    public static decimal Cost(string model, TokenUsage usage) => Money.FromNanos(CostCalculator.CostNanos(GatewayWithFakes.Catalog.FindModel(model)!.Price, usage));

    /// <summary>
    /// What the fakes report, in the gateway's terms: Gemini counts thoughts apart from candidates (the gateway adds them to
    /// the completion), OpenAI-wire providers inside <c>completion_tokens</c>, Anthropic not at all (inside output).
    /// </summary>
    public static TokenUsage UsageOf(string slug, FakeScript script) => slug switch
    {
        "google" => new TokenUsage(script.PromptTokens, script.CompletionTokens + script.ReasoningTokens, script.CachedTokens, script.ReasoningTokens),
        "anthropic" => new TokenUsage(script.PromptTokens, script.CompletionTokens, script.CachedTokens),
        _ => new TokenUsage(script.PromptTokens, script.CompletionTokens, script.CachedTokens, script.ReasoningTokens),
    };

    /// <summary>Asserts the charge: balance down by exactly the cost, one charge transaction for that model and amount.</summary>
    public static async Task AssertChargedAsync(GatewayHost gateway, TestAccount account, decimal credits, string model, decimal cost)
    {
        Assert.Equal(credits - cost, await gateway.BalanceAsync(account.Key));
        var charge = await LastTransactionAsync(gateway, account.Key);
        Assert.Equal("charge", charge.GetProperty("type").GetString());
        Assert.Equal(-cost, charge.GetProperty("amount").GetDecimal());
        Assert.Equal(model, charge.GetProperty("model").GetString());
    }

    /// <summary>The <c>usage.cost</c> (OpenAI, Anthropic) or <c>usageMetadata.cost</c> (Gemini) the caller was told.</summary>
    public static decimal ReportedCost(CallerDialect caller, string body, bool stream)
    {
        if (!stream)
        {
            var root = JsonDocument.Parse(body).RootElement;
            return caller == CallerDialect.Gemini ? root.GetProperty("usageMetadata").GetProperty("cost").GetDecimal() : root.GetProperty("usage").GetProperty("cost").GetDecimal();
        }
        var events = Events(body);
        return caller switch
        {
            CallerDialect.OpenAi => events.Last(e => e.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object).GetProperty("usage").GetProperty("cost").GetDecimal(),
            CallerDialect.Anthropic => events.Single(e => e.GetProperty("type").GetString() == "message_delta").GetProperty("usage").GetProperty("cost").GetDecimal(),
            _ => events[^1].GetProperty("usageMetadata").GetProperty("cost").GetDecimal(),
        };
    }
}
