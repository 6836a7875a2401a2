using System.Buffers;
using System.Text;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.OpenAi;
using ARouter.Endpoints;
using ARouter.Upstream;
using ARouter.Upstream.Wires;
using CommunityToolkit.HighPerformance.Buffers;

namespace ARouter.Pipeline;

/// <summary>
/// A non-streamed completion: read the provider's JSON with its <see cref="IChatWire"/>, settle its usage, and
/// answer in the caller's dialect with the gateway's id, model name and cost. An error it returns means nothing
/// was written to the caller, so the next candidate may still be tried.
/// </summary>
public sealed class CompletionRelay(TokenEstimator tokens)
{
    public async Task<GatewayError?> RelayAsync(GatewayRequest request, IChatWire wire, UpstreamCall call, GenerationFacts facts, Reservation reservation, PromptSize prompt)
    {
        var target = facts.Target;
        using var body = new ArrayPoolBufferWriter<byte>((int)Math.Clamp(call.Response.Content.Headers.ContentLength ?? 4096, 256, 1 << 20));
        try
        {
            await ReadAllAsync(call, body);
        }
        catch (OperationCanceledException) when (call.Deadline.Expired is not null)
        {
            return new GatewayError(ErrorStage.UpstreamTimeout, 504, call.Deadline.Describe(target.Provider.Slug));
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return new GatewayError(ErrorStage.UpstreamFailed, 502, $"Provider '{target.Provider.Slug}' closed the connection before the response was complete.");
        }
        facts.MarkFirstByte();

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.WrittenMemory);
        }
        catch (JsonException)
        {
            return new GatewayError(ErrorStage.UpstreamFailed, 502, $"Provider '{target.Provider.Slug}' returned a response that is not valid JSON.");
        }
        using (document)
        {
            // JSON a reader accepts can still be broken UTF-8 or hold a lone surrogate escape; no caller could read it.
            if (!UnicodeText.IsValid(body.WrittenSpan))
                return new GatewayError(ErrorStage.UpstreamFailed, 502, $"Provider '{target.Provider.Slug}' returned a response that is not valid Unicode.");
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return new GatewayError(ErrorStage.UpstreamFailed, 502, $"Provider '{target.Provider.Slug}' returned an unexpected response shape.");
            if (UpstreamErrorMapper.FromSuccessBody(target.Provider.Slug, root) is { } reportedError) return reportedError;

            var decoded = wire.DecodeCompletion(root);
            var upstreamUsage = wire.UsageJson(root);
            var usage = decoded.Usage;
            if (usage is null)
            {
                usage = new TokenUsage(prompt.Exact, tokens.Count(decoded.Text + decoded.Reasoning + string.Concat(decoded.ToolCalls.Select(c => c.Name + c.ArgumentsJson))));
                facts.UsageCounted = true;
                upstreamUsage = null;
            }
            facts.Usage = usage;
            facts.FinishReason = decoded.Finish is { } finish ? OpenAiCanonicalResponseEncoder.FinishReasonOf(finish) : null;

            var charged = await reservation.SettleAsync(facts.CostOf(usage), facts.ToRecord());
            facts.ChargedNanos = charged;

            // Whole, then sent with its Content-Length: the caller has its answer once the bytes are out, not only
            // when the request's remaining work (the request log, metrics) is done and the chunked body is ended.
            using var answer = new ArrayPoolBufferWriter<byte>(body.WrittenCount + 512);
            using (var json = new Utf8JsonWriter(answer, JsonWriting.Options))
            {
                CallerSinks.Completion(request.Dialect, facts).Write(json, root, decoded, upstreamUsage, usage, Money.FromNanos(charged));
            }
            var response = request.Http.Response;
            response.StatusCode = 200;
            response.ContentType = "application/json";
            response.ContentLength = answer.WrittenCount;
            await response.BodyWriter.WriteAsync(answer.WrittenMemory, request.Aborted);
        }
        return null;
    }

    /// <summary>The whole body into pooled memory (the provider's JSON is parsed in place, then released with the response).</summary>
    private static async Task ReadAllAsync(UpstreamCall call, ArrayPoolBufferWriter<byte> body)
    {
        await using var stream = await call.Response.Content.ReadAsStreamAsync(call.Deadline.Token);
        int read;
        while ((read = await stream.ReadAsync(body.GetMemory(4096), call.Deadline.Token)) > 0) body.Advance(read);
    }
}
