using System.Text.Json;
using ARouter.Dialects.Canonical;

namespace ARouter.Dialects.OpenAi;

/// <summary><c>{"error":{"message","type","code","param"}}</c>, as OpenAI and OpenRouter send it.</summary>
public static class OpenAiErrorEncoder
{
    public static void Write(Utf8JsonWriter json, GatewayError error)
    {
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("message", error.Message);
        json.WriteString("type", error.OpenAiType);
        json.WriteString("code", error.OpenAiCode);
        if (error.Param is null) json.WriteNull("param"); else json.WriteString("param", error.Param);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
