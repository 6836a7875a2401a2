using System.Text.Json;
using ARouter.Dialects.Anthropic;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.Gemini;
using ARouter.Dialects.OpenAi;
using Microsoft.AspNetCore.Http;

namespace ARouter.Dialects;

/// <summary>The one place a <see cref="GatewayError"/> becomes an HTTP response in the caller's dialect.</summary>
public static class ErrorResponder
{
    public static async Task WriteAsync(HttpContext context, CallerDialect dialect, GatewayError error)
    {
        var response = context.Response;
        if (response.HasStarted) return;
        response.StatusCode = error.Status;
        response.ContentType = "application/json";
        if (error.RetryAfterSeconds is { } retry) response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using (var json = new Utf8JsonWriter(response.BodyWriter, ARouter.Dialects.JsonWriting.Options))
        {
            WriteBody(json, dialect, error);
        }
        await response.BodyWriter.FlushAsync(context.RequestAborted);
    }

    public static void WriteBody(Utf8JsonWriter json, CallerDialect dialect, GatewayError error)
    {
        switch (dialect)
        {
            case CallerDialect.Anthropic: AnthropicErrorEncoder.Write(json, error); break;
            case CallerDialect.Gemini: GeminiErrorEncoder.Write(json, error); break;
            default: OpenAiErrorEncoder.Write(json, error); break;
        }
    }
}
