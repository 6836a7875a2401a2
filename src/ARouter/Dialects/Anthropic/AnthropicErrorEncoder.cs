using System.Text.Json;
using ARouter.Dialects.Canonical;

namespace ARouter.Dialects.Anthropic;

/// <summary><c>{"type":"error","error":{"type","message"}}</c> with Anthropic's error type names.</summary>
public static class AnthropicErrorEncoder
{
    public static void Write(Utf8JsonWriter json, GatewayError error)
    {
        json.WriteStartObject();
        json.WriteString("type", "error");
        json.WriteStartObject("error");
        json.WriteString("type", TypeOf(error));
        json.WriteString("message", error.Message);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    public static string TypeOf(GatewayError error) => error.Status switch
    {
        400 or 422 => "invalid_request_error",
        401 => "authentication_error",
        402 => "billing_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        504 => "timeout_error",
        529 => "overloaded_error",
        _ => "api_error",
    };
}
