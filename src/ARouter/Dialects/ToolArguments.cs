using System.Text.Json;

namespace ARouter.Dialects;

/// <summary>
/// OpenAI carries tool arguments as a JSON string; Anthropic (<c>input</c>) and Gemini (<c>args</c>) want an
/// object. Arguments that are not a JSON object are kept under <c>_raw_arguments</c> rather than lost.
/// </summary>
public static class ToolArguments
{
    public static void WriteAsObject(Utf8JsonWriter json, string argumentsJson)
    {
        try
        {
            using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(argumentsJson) ? "{}" : argumentsJson);
            if (document.RootElement.ValueKind == JsonValueKind.Object)
            {
                document.RootElement.WriteTo(json);
                return;
            }
        }
        catch (JsonException)
        {
        }
        json.WriteStartObject();
        json.WriteString("_raw_arguments", argumentsJson);
        json.WriteEndObject();
    }
}
