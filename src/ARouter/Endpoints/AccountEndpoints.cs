using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Storage;
using Microsoft.AspNetCore.Http;

namespace ARouter.Endpoints;

/// <summary><c>/api/v1/balance</c>, <c>/api/v1/transactions</c>, <c>/api/v1/generations/{id}</c>: the caller's own account, metadata only.</summary>
public static class AccountEndpoints
{
    public const int MaxPageSize = 100;

    public static async Task<GatewayError?> BalanceAsync(GatewayRequest request, IAccountStore accounts, Ledger ledger)
    {
        var account = await accounts.GetAccountAsync(request.Caller.AccountId, request.Aborted);
        var balance = await ledger.GetBalanceAsync(request.Caller.AccountId, request.Aborted);
        if (account is null || balance is null) return GatewayError.Unauthorized("The API key's account no longer exists.");
        // total_usage is derived so that balance = total_credits − total_usage holds even while charges are being written.
        await WriteJsonAsync(request.Http, json =>
        {
            json.WriteStartObject();
            json.WriteStartObject("data");
            json.WriteNumber("balance", Money.FromNanos(balance.Value));
            json.WriteNumber("total_credits", Money.FromNanos(account.TotalCreditsNanos));
            json.WriteNumber("total_usage", Money.FromNanos(account.TotalCreditsNanos - balance.Value));
            json.WriteString("currency", "USD");
            json.WriteEndObject();
            json.WriteEndObject();
        });
        return null;
    }

    public static async Task<GatewayError?> TransactionsAsync(GatewayRequest request, ILedgerStore ledger)
    {
        var query = request.Http.Request.Query;
        var limit = 20;
        if (query.TryGetValue("limit", out var limitText))
        {
            if (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxPageSize)
                return GatewayError.BadRequest($"'limit' must be an integer from 1 to {MaxPageSize}.", "limit");
        }
        PageCursor? before = null;
        if (query.TryGetValue("cursor", out var cursorText) && !string.IsNullOrEmpty(cursorText))
        {
            before = DecodeCursor(cursorText!);
            if (before is null) return GatewayError.BadRequest("'cursor' is not a cursor this API returned.", "cursor");
        }

        var rows = await ledger.ListTransactionsAsync(request.Caller.AccountId, before, limit + 1, request.Aborted);
        var page = rows.Take(limit).ToList();
        var next = rows.Count > limit ? EncodeCursor(new PageCursor(page[^1].CreatedAt, page[^1].Id)) : null;
        await WriteJsonAsync(request.Http, json =>
        {
            json.WriteStartObject();
            json.WriteStartArray("data");
            foreach (var t in page) WriteTransaction(json, t);
            json.WriteEndArray();
            if (next is null) json.WriteNull("next_cursor"); else json.WriteString("next_cursor", next);
            json.WriteEndObject();
        });
        return null;
    }

    public static async Task<GatewayError?> GenerationAsync(GatewayRequest request, ILedgerStore ledger, string id)
    {
        var g = await ledger.GetGenerationAsync(request.Caller.AccountId, id, request.Aborted);
        if (g is null) return GatewayError.NotFound($"No generation '{id}' on this account (records appear once the request has finished).", "id");
        await WriteJsonAsync(request.Http, json =>
        {
            json.WriteStartObject();
            json.WriteStartObject("data");
            json.WriteString("id", g.Id);
            json.WriteString("model", g.Model);
            json.WriteString("provider", g.Provider);
            json.WriteString("upstream_model", g.UpstreamModel);
            json.WriteString("endpoint", g.Endpoint);
            json.WriteBoolean("streamed", g.Streamed);
            json.WriteNumber("status", g.Status);
            if (g.FinishReason is null) json.WriteNull("finish_reason"); else json.WriteString("finish_reason", g.FinishReason);
            if (g.ErrorType is null) json.WriteNull("error"); else json.WriteString("error", g.ErrorType);
            json.WriteNumber("prompt_tokens", g.PromptTokens);
            json.WriteNumber("completion_tokens", g.CompletionTokens);
            json.WriteNumber("cached_tokens", g.CachedTokens);
            json.WriteNumber("reasoning_tokens", g.ReasoningTokens);
            json.WriteBoolean("tokens_counted_by_gateway", g.UsageCounted);
            json.WriteNumber("cost", Money.FromNanos(g.CostNanos));
            json.WriteNumber("latency_ms", g.LatencyMs);
            if (g.FirstByteMs is { } fb) json.WriteNumber("time_to_first_byte_ms", fb); else json.WriteNull("time_to_first_byte_ms");
            json.WriteBoolean("byok", g.Byok);
            json.WritePropertyName("attempts");
            if (g.AttemptsJson is { } attempts) json.WriteRawValue(attempts); else json.WriteRawValue("[]");
            json.WriteString("key_id", g.KeyId);
            json.WriteString("created_at", g.CreatedAt.ToString("O", CultureInfo.InvariantCulture));
            json.WriteEndObject();
            json.WriteEndObject();
        });
        return null;
    }

    private static void WriteTransaction(Utf8JsonWriter json, TransactionRecord t)
    {
        json.WriteStartObject();
        json.WriteString("id", t.Id);
        json.WriteString("type", t.Type.ToString().ToLowerInvariant());
        json.WriteNumber("amount", Money.FromNanos(t.AmountNanos));
        json.WriteNumber("balance_after", Money.FromNanos(t.BalanceAfterNanos));
        json.WriteString("created_at", t.CreatedAt.ToString("O", CultureInfo.InvariantCulture));
        WriteOptional(json, "description", t.Description);
        WriteOptional(json, "generation_id", t.GenerationId);
        WriteOptional(json, "model", t.Model);
        WriteOptional(json, "provider", t.Provider);
        if (t.PromptTokens is { } p) json.WriteNumber("prompt_tokens", p); else json.WriteNull("prompt_tokens");
        if (t.CompletionTokens is { } c) json.WriteNumber("completion_tokens", c); else json.WriteNull("completion_tokens");
        WriteOptional(json, "key_id", t.KeyId);
        json.WriteBoolean("byok", t.Byok);
        json.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter json, string name, string? value)
    {
        if (value is null) json.WriteNull(name); else json.WriteString(name, value);
    }

    private static string EncodeCursor(PageCursor position) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes("t:" + position));

    private static PageCursor? DecodeCursor(string cursor)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            return text.StartsWith("t:", StringComparison.Ordinal) ? PageCursor.Parse(text.AsSpan(2)) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    internal static async Task WriteJsonAsync(HttpContext http, Action<Utf8JsonWriter> write, int status = 200)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        using (var json = new Utf8JsonWriter(http.Response.BodyWriter, ARouter.Dialects.JsonWriting.Options)) write(json);
        await http.Response.BodyWriter.FlushAsync(http.RequestAborted);
    }
}
