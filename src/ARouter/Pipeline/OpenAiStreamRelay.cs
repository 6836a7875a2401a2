using System.Text;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.OpenAi;
using ARouter.Dialects.Sse;
using ARouter.Endpoints;
using ARouter.Observability;
using ARouter.Upstream;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace ARouter.Pipeline;

/// <summary>
/// Relays an OpenAI-wire SSE stream event by event, each flushed as it arrives, in the caller's dialect
/// (an <see cref="IStreamSink"/>); nothing is held back.
/// Usage the provider reports (wherever its dialect puts it) is lifted out and sent, with
/// <c>usage.cost</c>, in one closing chunk once the charge is settled — counted by the gateway when the
/// provider reported none. A stream
/// that fails ends with an error event, never a silent cut; a client that leaves is charged for what
/// was generated.
/// </summary>
public sealed class OpenAiStreamRelay(TokenEstimator tokens, ILogger<OpenAiStreamRelay> logger)
{
    private enum Ending { Completed, ClientGone, UpstreamFailed }

    public async Task<GatewayError?> RelayAsync(GatewayRequest request, UpstreamCall call, GenerationFacts facts, Reservation reservation, int promptTokens, TimeSpan idleTimeout)
    {
        var response = request.Http.Response;
        var sink = CallerSinks.Stream(request, facts, promptTokens);
        response.StatusCode = 200;
        response.ContentType = sink.ContentType;
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        request.Http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var generated = new StringBuilder();
        byte[]? reportedUsageJson = null;
        TokenUsage? reported = null;
        var sawDone = false;
        GatewayError? failure = null;
        var ending = Ending.Completed;

        try
        {
            await sink.StartAsync(request.Aborted);
            await using var body = await call.Response.Content.ReadAsStreamAsync(request.Aborted);
            await foreach (var sseEvent in SseReader.ReadAsync(body, () => ArmIdleTimer(call, idleTimeout)))
            {
                facts.MarkFirstByte();
                if (sseEvent.IsDone) { sawDone = true; break; }
                if (!TryParse(sseEvent.Data, out var document)) continue;
                using (document)
                {
                    var chunk = document.RootElement;
                    if (UpstreamErrorMapper.FromSuccessBody(facts.Target.Provider.Slug, chunk) is { } reportedError)
                    {
                        failure = reportedError with { Stage = ErrorStage.UpstreamStream, Status = 502 };
                        break;
                    }
                    OpenAiStreamText.AppendChunkText(chunk, generated);
                    facts.FinishReason = OpenAiStreamText.FinishReason(chunk) ?? facts.FinishReason;
                    var hasUsage = OpenAiUsage.TryFind(chunk, out var usageElement) && OpenAiUsage.Read(usageElement) is not null;
                    if (hasUsage)
                    {
                        // Remember the latest usage; it goes out, with its cost, in the closing chunk.
                        reported = OpenAiUsage.Read(usageElement);
                        reportedUsageJson = JsonSerializer.SerializeToUtf8Bytes(usageElement);
                    }
                    await sink.ChunkAsync(chunk, hasUsage, request.Aborted);
                }
            }
            if (!sawDone && failure is null && facts.FinishReason is null)
                failure = new GatewayError(ErrorStage.UpstreamStream, 502, $"Provider '{facts.Target.Provider.Slug}' ended the stream before it was complete.");
        }
        catch (Exception e) when (IsClientGone(e, request))
        {
            ending = Ending.ClientGone;
        }
        catch (OperationCanceledException) when (call.TimedOut || call.Timeout.IsCancellationRequested)
        {
            failure = new GatewayError(ErrorStage.UpstreamTimeout, 504, $"Provider '{facts.Target.Provider.Slug}' sent nothing for {idleTimeout.TotalSeconds:0.###} s; the stream was stopped.");
        }
        catch (Exception e) when (e is IOException or HttpRequestException or InvalidDataException)
        {
            failure = new GatewayError(ErrorStage.UpstreamStream, 502, $"The stream from provider '{facts.Target.Provider.Slug}' broke off: {e.GetType().Name}.");
        }
        if (failure is not null && ending == Ending.Completed) ending = Ending.UpstreamFailed;

        var finalUsage = reported ?? new TokenUsage(promptTokens, tokens.Count(generated));
        facts.Usage = finalUsage;
        facts.UsageCounted = reported is null;
        facts.Status = ending switch { Ending.ClientGone => 499, Ending.UpstreamFailed => failure!.Status, _ => 200 };
        facts.ErrorType = failure?.Stage.ToString();

        // A provider failure before anything was generated costs nothing; otherwise what was generated is charged.
        var charge = ending != Ending.UpstreamFailed || reported is not null || finalUsage.CompletionTokens > 0;
        long charged = 0;
        if (charge) charged = await reservation.SettleAsync(facts.CostOf(finalUsage), facts.ToRecord());
        else reservation.Release(facts.ToRecord());
        facts.ChargedNanos = charged;

        if (ending == Ending.ClientGone)
        {
            Log.ClientDisconnected(logger, request.RequestId);
            return null;
        }
        try
        {
            var cost = Money.FromNanos(charged);
            using var reportedUsage = reportedUsageJson is null ? null : JsonDocument.Parse(reportedUsageJson);
            await sink.EndAsync(reportedUsage?.RootElement, finalUsage, cost, failure, request.Aborted);
        }
        catch (Exception e) when (IsClientGone(e, request))
        {
            Log.ClientDisconnected(logger, request.RequestId);
        }
        return null;
    }

    private static CancellationToken ArmIdleTimer(UpstreamCall call, TimeSpan idle)
    {
        call.Timeout.CancelAfter(idle);
        return call.Timeout.Token;
    }

    private static bool TryParse(ReadOnlyMemory<byte> data, out JsonDocument document)
    {
        try
        {
            document = JsonDocument.Parse(data);
            if (document.RootElement.ValueKind == JsonValueKind.Object) return true;
            document.Dispose();
        }
        catch (JsonException)
        {
        }
        document = null!;
        return false;
    }

    private static bool IsClientGone(Exception e, GatewayRequest request)
        => request.Aborted.IsCancellationRequested && e is OperationCanceledException or IOException or ObjectDisposedException;
}
