using System.Globalization;
using System.Text.Json;
using ARouter.Auth;
using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Limits;
using ARouter.Storage;
using Microsoft.AspNetCore.Http;

namespace ARouter.Endpoints;

/// <summary>
/// <c>/api/v1/keys</c>: an account's keys, managed with a management key. Secrets are shown once, at
/// creation; a change takes effect on the very next request because the key cache entry is dropped.
/// </summary>
public sealed class KeyEndpoints(AccountKeys keys)
{
    public async Task<GatewayError?> ListAsync(GatewayRequest request)
    {
        if (RequireManagement(request) is { } denied) return denied;
        var list = await keys.ListAsync(request.Caller.AccountId, request.Aborted);
        await AccountEndpoints.WriteJsonAsync(request.Http, json =>
        {
            json.WriteStartObject();
            json.WriteStartArray("data");
            foreach (var key in list) WriteKey(json, key);
            json.WriteEndArray();
            json.WriteEndObject();
        });
        return null;
    }

    public async Task<GatewayError?> GetAsync(GatewayRequest request, string id)
    {
        if (RequireManagement(request) is { } denied) return denied;
        var key = await keys.GetAsync(request.Caller.AccountId, id, request.Aborted);
        return key is null ? NoSuchKey(id) : await WriteOneAsync(request, key, null, 200);
    }

    public async Task<GatewayError?> CreateAsync(GatewayRequest request)
    {
        if (RequireManagement(request) is { } denied) return denied;
        using var body = await request.ReadJsonAsync();
        var fields = KeyFields.Read(body.Json.RootElement);
        if (fields.Disabled is not null) return GatewayError.BadRequest("'disabled' can only be changed with PATCH.", "disabled");
        var (secret, key) = await keys.CreateAsync(request.Caller.AccountId,
            new KeySpec(fields.Name ?? "default", fields.Management ?? false, fields.LimitNanos, fields.RateLimitRequests, fields.RateLimitIntervalSeconds), request.Aborted);
        return await WriteOneAsync(request, key, secret, StatusCodes.Status201Created);
    }

    public async Task<GatewayError?> UpdateAsync(GatewayRequest request, string id)
    {
        if (RequireManagement(request) is { } denied) return denied;
        using var body = await request.ReadJsonAsync();
        var fields = KeyFields.Read(body.Json.RootElement);
        if (fields.Management is not null) return GatewayError.BadRequest("'management' is fixed when a key is created.", "management");
        var stored = await keys.UpdateAsync(request.Caller.AccountId, id, key => key with
        {
            Name = fields.Name ?? key.Name,
            LimitNanos = fields.HasLimit ? fields.LimitNanos : key.LimitNanos,
            RateLimitRequests = fields.HasRateLimit ? fields.RateLimitRequests : key.RateLimitRequests,
            RateLimitIntervalSeconds = fields.HasRateLimit ? fields.RateLimitIntervalSeconds : key.RateLimitIntervalSeconds,
            Disabled = fields.Disabled ?? key.Disabled,
        }, request.Aborted);
        return stored is null ? NoSuchKey(id) : await WriteOneAsync(request, stored, null, 200);
    }

    public async Task<GatewayError?> DeleteAsync(GatewayRequest request, string id)
    {
        if (RequireManagement(request) is { } denied) return denied;
        var revoked = await keys.RevokeAsync(request.Caller.AccountId, id, request.Aborted);
        if (revoked is null) return NoSuchKey(id);
        await AccountEndpoints.WriteJsonAsync(request.Http, json =>
        {
            json.WriteStartObject();
            json.WriteStartObject("data");
            json.WriteString("id", revoked.Id);
            json.WriteBoolean("deleted", true);
            json.WriteEndObject();
            json.WriteEndObject();
        });
        return null;
    }

    internal static GatewayError? RequireManagement(GatewayRequest request) => request.Caller.Key.IsManagement
        ? null
        : GatewayError.Forbidden("This endpoint needs a management key (the account's first key is one; others can be created with \"management\": true).");

    private static GatewayError NoSuchKey(string id) => GatewayError.NotFound($"No key '{id}' on this account.", "id");

    private async Task<GatewayError?> WriteOneAsync(GatewayRequest request, ApiKeyRecord key, string? secret, int status)
    {
        await AccountEndpoints.WriteJsonAsync(request.Http, json =>
        {
            json.WriteStartObject();
            json.WritePropertyName("data");
            WriteKey(json, key);
            // As OpenRouter does: the secret sits beside the data, once.
            if (secret is not null) json.WriteString("key", secret);
            json.WriteEndObject();
        }, status);
        return null;
    }

    private void WriteKey(Utf8JsonWriter json, ApiKeyRecord key)
    {
        var usage = keys.UsageOf(key);
        var policy = keys.RateLimitOf(key);
        json.WriteStartObject();
        json.WriteString("id", key.Id);
        json.WriteString("name", key.Name);
        json.WriteString("prefix", key.Prefix);
        json.WriteBoolean("management", key.IsManagement);
        json.WriteBoolean("disabled", key.Disabled);
        if (key.LimitNanos is { } limit)
        {
            json.WriteNumber("limit", Money.FromNanos(limit));
            json.WriteNumber("limit_remaining", Money.FromNanos(Math.Max(0, limit - usage)));
        }
        else
        {
            json.WriteNull("limit");
            json.WriteNull("limit_remaining");
        }
        json.WriteNumber("usage", Money.FromNanos(usage));
        json.WriteStartObject("rate_limit");
        json.WriteNumber("requests", policy.Requests);
        json.WriteNumber("interval_seconds", (int)policy.Interval.TotalSeconds);
        json.WriteBoolean("default", key.RateLimitRequests is null);
        json.WriteEndObject();
        json.WriteString("created_at", key.CreatedAt.ToString("O", CultureInfo.InvariantCulture));
        if (key.LastUsedAt is { } used) json.WriteString("last_used_at", used.ToString("O", CultureInfo.InvariantCulture)); else json.WriteNull("last_used_at");
        json.WriteEndObject();
    }
}
