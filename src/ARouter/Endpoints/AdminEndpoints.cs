using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ARouter.Auth;
using ARouter.Billing;
using ARouter.Dialects;
using ARouter.Dialects.Canonical;
using ARouter.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ARouter.Endpoints;

/// <summary>The operator's API (<c>Authorization: Bearer $AROUTER_ADMIN_TOKEN</c>): create accounts, add credits, look accounts up.</summary>
public static class AdminEndpoints
{
    /// <summary>The largest single credit accepted, to catch typos such as a missing decimal point.</summary>
    public const decimal MaxCreditUsd = 1_000_000m;

    public static RequestDelegate Admin(Func<HttpContext, Task<GatewayError?>> handler) => http => HandleAsync(http, handler);

    private static async Task HandleAsync(HttpContext http, Func<HttpContext, Task<GatewayError?>> handler)
    {
        var requestId = Ids.NewRequestId();
        http.Response.Headers["X-Request-Id"] = requestId;
        var error = await GatewayEndpoint.GuardAsync(http, requestId, () => Authorize(http) is { } denied ? Task.FromResult<GatewayError?>(denied) : handler(http));
        if (error is not null) await ErrorResponder.WriteAsync(http, CallerDialect.OpenAi, error);
    }

    public static async Task<GatewayError?> CreateAccountAsync(HttpContext http)
    {
        using var body = await ReadBodyAsync(http);
        var root = body.Json.RootElement;
        var name = JsonRead.OptionalString(root, "name", "name")?.Trim();
        if (string.IsNullOrEmpty(name)) throw new DecodeException("'name' is required.", "name");
        if (name.Length > 200) throw new DecodeException("'name' may be at most 200 characters.", "name");
        var credits = ReadAmount(root, "credits", required: false, allowZero: true) ?? 0m;

        var accountId = Ids.NewAccountId();
        var (secret, key) = ApiKeyFormat.Create(accountId, "default", management: true);
        var account = await http.RequestServices.GetRequiredService<IAccountStore>().CreateAccountAsync(name, Money.ToNanos(credits), key, http.RequestAborted);
        await AccountEndpoints.WriteJsonAsync(http, json =>
        {
            json.WriteStartObject();
            json.WriteString("id", account.Id);
            json.WriteString("name", account.Name);
            json.WriteNumber("balance", Money.FromNanos(account.BalanceNanos));
            json.WriteStartObject("key");
            json.WriteString("id", key.Id);
            json.WriteString("key", secret);
            json.WriteString("prefix", key.Prefix);
            json.WriteEndObject();
            json.WriteEndObject();
        }, StatusCodes.Status201Created);
        return null;
    }

    public static async Task<GatewayError?> AddCreditsAsync(HttpContext http, string id)
    {
        using var body = await ReadBodyAsync(http);
        var root = body.Json.RootElement;
        var amount = ReadAmount(root, "amount", required: true, allowZero: false)!.Value;
        var description = JsonRead.OptionalString(root, "description", "description");
        if (description?.Length > 500) throw new DecodeException("'description' may be at most 500 characters.", "description");

        var balance = await http.RequestServices.GetRequiredService<Ledger>().AddCreditAsync(id, Money.ToNanos(amount), description);
        if (balance is null) return GatewayError.NotFound($"No account '{id}'.", "id");
        return await WriteAccountAsync(http, id);
    }

    public static Task<GatewayError?> GetAccountAsync(HttpContext http, string id) => WriteAccountAsync(http, id);

    private static async Task<GatewayError?> WriteAccountAsync(HttpContext http, string id)
    {
        var account = await http.RequestServices.GetRequiredService<IAccountStore>().GetAccountAsync(id, http.RequestAborted);
        if (account is null) return GatewayError.NotFound($"No account '{id}'.", "id");
        var balance = await http.RequestServices.GetRequiredService<Ledger>().GetBalanceAsync(id, http.RequestAborted) ?? account.BalanceNanos;
        await AccountEndpoints.WriteJsonAsync(http, json =>
        {
            json.WriteStartObject();
            json.WriteString("id", account.Id);
            json.WriteString("name", account.Name);
            json.WriteNumber("balance", Money.FromNanos(balance));
            json.WriteNumber("total_credits", Money.FromNanos(account.TotalCreditsNanos));
            json.WriteNumber("total_usage", Money.FromNanos(account.TotalCreditsNanos - balance));
            json.WriteString("currency", "USD");
            json.WriteString("created_at", account.CreatedAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteEndObject();
        });
        return null;
    }

    private static GatewayError? Authorize(HttpContext http)
    {
        var configuration = http.RequestServices.GetRequiredService<IConfiguration>();
        if (string.IsNullOrEmpty(configuration["AROUTER_ADMIN_TOKEN"])) return GatewayError.Forbidden("The admin API is off: set AROUTER_ADMIN_TOKEN to enable it.");
        var header = http.Request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : "";
        return IsAdminToken(configuration, presented) ? null : GatewayError.Unauthorized("A valid admin token is required (Authorization: Bearer $AROUTER_ADMIN_TOKEN).");
    }

    /// <summary>Whether <paramref name="presented"/> is the configured admin token (false when none is set), compared in constant time.</summary>
    internal static bool IsAdminToken(IConfiguration configuration, string presented)
    {
        var token = configuration["AROUTER_ADMIN_TOKEN"];
        return !string.IsNullOrEmpty(token)
            && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(token)));
    }

    private static async Task<SourceDocument> ReadBodyAsync(HttpContext http)
    {
        var options = http.RequestServices.GetRequiredService<IOptions<GatewayOptions>>().Value;
        return await JsonBodyReader.ReadAsync(http, CallerDialect.OpenAi, options);
    }

    internal static decimal? ReadAmount(JsonElement root, string name, bool required, bool allowZero)
    {
        if (root.ValueKind != JsonValueKind.Object) throw new DecodeException("The request body must be a JSON object.");
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            return required ? throw new DecodeException($"'{name}' is required (USD, e.g. 10.5).", name) : null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDecimal(out var amount))
            throw new DecodeException($"'{name}' must be a number of USD.", name);
        return AmountProblem(amount, $"'{name}'", allowZero) is { } problem ? throw new DecodeException(problem, name) : amount;
    }

    /// <summary>Why a USD amount is not acceptable as a credit or limit, or null when it is; shared with the dashboard's forms.</summary>
    internal static string? AmountProblem(decimal amount, string name, bool allowZero)
    {
        if (amount < 0 || (!allowZero && amount == 0)) return $"{name} must be {(allowZero ? "zero or more" : "more than zero")}.";
        if (amount > MaxCreditUsd) return $"{name} may be at most {MaxCreditUsd} USD at a time.";
        if (decimal.Round(amount, 9) != amount) return $"{name} has more precision than a nano-dollar.";
        return null;
    }
}
