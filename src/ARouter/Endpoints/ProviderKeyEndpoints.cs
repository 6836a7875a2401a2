using System.Globalization;
using ARouter.Auth;
using ARouter.Catalog;
using ARouter.Dialects;
using ARouter.Dialects.Canonical;
using ARouter.Storage;

namespace ARouter.Endpoints;

/// <summary>
/// <c>/api/v1/provider-keys</c>: provider keys an account brings (BYOK), stored encrypted and never shown
/// again. Requests to that provider then go with the account's key, and the provider bills the account.
/// </summary>
public sealed class ProviderKeyEndpoints(IProviderKeyStore store, ProviderCredentials credentials, ModelCatalog catalog)
{
    public const int MaxKeyLength = 4_096;

    public async Task<GatewayError?> ListAsync(GatewayRequest request)
    {
        if (KeyEndpoints.RequireManagement(request) is { } denied) return denied;
        var keys = await store.ListProviderKeysAsync(request.Caller.AccountId, request.Aborted);
        await AccountEndpoints.WriteJsonAsync(request.Http, json =>
        {
            json.WriteStartObject();
            json.WriteStartArray("data");
            foreach (var key in keys)
            {
                json.WriteStartObject();
                json.WriteString("provider", key.Provider);
                json.WriteString("created_at", key.CreatedAt.ToString("O", CultureInfo.InvariantCulture));
                json.WriteString("updated_at", key.UpdatedAt.ToString("O", CultureInfo.InvariantCulture));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        });
        return null;
    }

    public async Task<GatewayError?> PutAsync(GatewayRequest request, string provider)
    {
        if (KeyEndpoints.RequireManagement(request) is { } denied) return denied;
        if (Known(provider) is not { } slug) return UnknownProvider(provider);
        using var body = await request.ReadJsonAsync();
        var root = body.Json.RootElement;
        if (root.ValueKind != System.Text.Json.JsonValueKind.Object) throw new DecodeException("The request body must be a JSON object {\"key\": \"...\"}.");
        var key = JsonRead.OptionalString(root, "key", "key")?.Trim();
        if (string.IsNullOrEmpty(key) || key.Length > MaxKeyLength || !ProviderCredentials.IsHeaderSafe(key))
            return GatewayError.BadRequest($"'key' must be the provider's API key: 1 to {MaxKeyLength} visible ASCII characters (no spaces or control characters).", "key");

        await credentials.SaveAsync(request.Caller.AccountId, slug, key, request.Aborted);
        await AccountEndpoints.WriteJsonAsync(request.Http, json =>
        {
            json.WriteStartObject();
            json.WriteStartObject("data");
            json.WriteString("provider", slug);
            json.WriteBoolean("stored", true);
            json.WriteEndObject();
            json.WriteEndObject();
        });
        return null;
    }

    public async Task<GatewayError?> DeleteAsync(GatewayRequest request, string provider)
    {
        if (KeyEndpoints.RequireManagement(request) is { } denied) return denied;
        if (Known(provider) is not { } slug) return UnknownProvider(provider);
        if (!await credentials.DeleteAsync(request.Caller.AccountId, slug, request.Aborted))
            return GatewayError.NotFound($"No stored key for provider '{slug}' on this account.", "provider");
        await AccountEndpoints.WriteJsonAsync(request.Http, json =>
        {
            json.WriteStartObject();
            json.WriteStartObject("data");
            json.WriteString("provider", slug);
            json.WriteBoolean("deleted", true);
            json.WriteEndObject();
            json.WriteEndObject();
        });
        return null;
    }

    private string? Known(string provider) => catalog.FindProvider(provider)?.Slug;

    private static GatewayError UnknownProvider(string provider) => GatewayError.NotFound($"Unknown provider '{provider}'.", "provider");
}
