using System.Text.Json.Nodes;

namespace ARouter.Tests.FakeUpstream;

/// <summary>Error bodies exactly as each provider family writes them (see docs/providers.md).</summary>
public static class FakeErrorBodies
{
    public static JsonObject For(ErrorBodyShape shape, int status, string message) => shape switch
    {
        ErrorBodyShape.XAi => new JsonObject { ["code"] = XAiCode(status), ["error"] = message },
        ErrorBodyShape.Mistral => new JsonObject { ["object"] = "error", ["message"] = message, ["type"] = OpenAiType(status), ["param"] = null, ["code"] = null },
        ErrorBodyShape.Cohere => new JsonObject { ["id"] = Guid.NewGuid().ToString(), ["message"] = message },
        ErrorBodyShape.Nvidia => new JsonObject { ["error"] = new JsonObject { ["code"] = status, ["type"] = "BadRequestError", ["param"] = null, ["message"] = message } },
        _ => new JsonObject { ["error"] = new JsonObject { ["message"] = message, ["type"] = OpenAiType(status), ["param"] = null, ["code"] = OpenAiCode(status) } },
    };

    /// <summary>Mistral's validation error for a field its strict schema forbids.</summary>
    public static JsonObject MistralExtraForbidden(string field) => new()
    {
        ["object"] = "error",
        ["message"] = new JsonObject
        {
            ["detail"] = new JsonArray(new JsonObject
            {
                ["type"] = "extra_forbidden",
                ["loc"] = new JsonArray("body", field),
                ["msg"] = "Extra inputs are not permitted",
            }),
        },
        ["type"] = "invalid_request_error",
        ["param"] = null,
        ["code"] = null,
    };

    private static string OpenAiType(int status) => status switch
    {
        401 => "invalid_request_error",
        429 => "rate_limit_error",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    private static string? OpenAiCode(int status) => status switch
    {
        401 => "invalid_api_key",
        429 => "rate_limit_exceeded",
        _ => null,
    };

    private static JsonNode XAiCode(int status) => status switch
    {
        400 => "Client specified an invalid argument",
        401 or 403 => "The caller does not have permission to execute the specified operation",
        _ => status,
    };
}
