using System.Buffers;
using System.Text;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.OpenAi;
using ARouter.Endpoints;
using ARouter.Upstream;

namespace ARouter.Pipeline;

/// <summary>
/// A non-streamed OpenAI-wire completion: read the provider's JSON, settle its usage, and send it on
/// with the gateway's id, model name and <c>usage.cost</c>.
/// </summary>
public sealed class OpenAiCompletionRelay(TokenEstimator tokens)
{
    public async Task<GatewayError?> RelayAsync(GatewayRequest request, UpstreamCall call, GenerationFacts facts, Reservation reservation, int promptTokens)
    {
        var target = facts.Target;
        byte[] body;
        try
        {
            body = await call.Response.Content.ReadAsByteArrayAsync(request.Aborted);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return new GatewayError(ErrorStage.UpstreamFailed, 502, $"Provider '{target.Provider.Slug}' closed the connection before the response was complete.");
        }
        facts.MarkFirstByte();

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException)
        {
            return new GatewayError(ErrorStage.UpstreamFailed, 502, $"Provider '{target.Provider.Slug}' returned a response that is not valid JSON.");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return new GatewayError(ErrorStage.UpstreamFailed, 502, $"Provider '{target.Provider.Slug}' returned an unexpected response shape.");
            if (UpstreamErrorMapper.FromSuccessBody(target.Provider.Slug, root) is { } reportedError) return reportedError;

            JsonElement? upstreamUsage = OpenAiUsage.TryFind(root, out var found) ? found : null;
            var usage = upstreamUsage is { } u ? OpenAiUsage.Read(u) : null;
            if (usage is null)
            {
                usage = new TokenUsage(promptTokens, CountCompletion(root));
                facts.UsageCounted = true;
                upstreamUsage = null;
            }
            facts.Usage = usage;
            facts.FinishReason = OpenAiStreamText.FinishReason(root);

            var charged = await reservation.SettleAsync(facts.CostOf(usage), facts.ToRecord());
            facts.ChargedNanos = charged;

            var response = request.Http.Response;
            response.StatusCode = 200;
            response.ContentType = "application/json";
            using (var json = new Utf8JsonWriter(response.BodyWriter, ARouter.Dialects.JsonWriting.Options))
            {
                await CallerSinks.Completion(request.Dialect, facts).WriteAsync(json, root, upstreamUsage, usage, Money.FromNanos(charged));
            }
            await response.BodyWriter.FlushAsync(request.Aborted);
        }
        return null;
    }

    private int CountCompletion(JsonElement root)
    {
        var text = new StringBuilder();
        if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
        {
            foreach (var choice in choices.EnumerateArray())
            {
                if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("message", out var message))
                    OpenAiStreamText.AppendMessageText(message, text);
            }
        }
        return tokens.Count(text);
    }
}
