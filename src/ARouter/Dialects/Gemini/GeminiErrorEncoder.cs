using System.Text.Json;
using ARouter.Dialects.Canonical;

namespace ARouter.Dialects.Gemini;

/// <summary><c>{"error":{"code","message","status"}}</c> with Google's canonical status names.</summary>
public static class GeminiErrorEncoder
{
    public static void Write(Utf8JsonWriter json, GatewayError error)
    {
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteNumber("code", error.Status);
        json.WriteString("message", error.Message);
        json.WriteString("status", StatusOf(error.Status));
        json.WriteEndObject();
        json.WriteEndObject();
    }

    public static string StatusOf(int status) => status switch
    {
        400 or 413 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        402 or 403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        501 => "UNIMPLEMENTED",
        503 => "UNAVAILABLE",
        504 => "DEADLINE_EXCEEDED",
        _ => "INTERNAL",
    };
}
