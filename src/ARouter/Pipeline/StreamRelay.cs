using System.Text;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.OpenAi;
using ARouter.Dialects.Sse;
using ARouter.Endpoints;
using ARouter.Hosting;
using ARouter.Observability;
using ARouter.Upstream;
using ARouter.Upstream.Wires;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace ARouter.Pipeline;

/// <summary>
/// Relays a provider's SSE stream event by event, each flushed as it arrives, in the caller's dialect
/// (an <see cref="IStreamSink"/>); the provider's dialect is read by its <see cref="IChatWire"/>. Nothing is held back.
/// Usage the provider reports (wherever its dialect puts it) is lifted out and sent, with
/// <c>usage.cost</c>, in one closing chunk once the charge is settled — counted by the gateway when the
/// provider reported none. A stream
/// that fails ends with an error event, never a silent cut; a client that leaves is charged for what
/// was generated.
/// </summary>
public sealed class StreamRelay(TokenEstimator tokens, ShutdownDrain shutdown, ILogger<StreamRelay> logger)
{
    private enum Ending { Completed, ClientGone, UpstreamFailed }

    public async Task<GatewayError?> RelayAsync(GatewayRequest request, IChatWire wire, UpstreamCall call, GenerationFacts facts, Reservation reservation, int promptTokens, TimeSpan idleTimeout)
    {
        var response = request.Http.Response;
        var sink = CallerSinks.Stream(request, facts, promptTokens);
        response.StatusCode = 200;
        response.ContentType = sink.ContentType;
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        request.Http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var generated = new StringBuilder();
        var decoder = wire.NewStreamDecoder(facts.Target.Provider.Slug);
        GatewayError? failure = null;
        var ending = Ending.Completed;
        // A stream still running when a shutdown's drain ends stops like a failed one: what was generated is charged, then an error event.
        using var draining = shutdown.Draining.Register(static state => ((UpstreamCall)state!).Timeout.Cancel(), call);

        try
        {
            await sink.StartAsync(request.Aborted);
            await using var body = await call.Response.Content.ReadAsStreamAsync(request.Aborted);
            await foreach (var sseEvent in SseReader.ReadAsync(body, () => ArmIdleTimer(call, idleTimeout)))
            {
                facts.MarkFirstByte();
                if (sseEvent.IsDone)
                {
                    decoder.MarkDone();
                    break;
                }
                if (!TryParse(sseEvent.Data, out var document)) continue;
                using (document)
                {
                    var step = decoder.Read(sseEvent, document.RootElement);
                    if (step.Error is { } streamError)
                    {
                        failure = streamError;
                        break;
                    }
                    Remember(step.Events, generated, facts);
                    await sink.EventAsync(sseEvent, document.RootElement, step, request.Aborted);
                }
            }
            if (!decoder.Complete && failure is null)
                failure = new GatewayError(ErrorStage.UpstreamStream, 502, $"Provider '{facts.Target.Provider.Slug}' ended the stream before it was complete.");
        }
        catch (Exception e) when (IsClientGone(e, request))
        {
            ending = Ending.ClientGone;
        }
        catch (OperationCanceledException) when (shutdown.Draining.IsCancellationRequested)
        {
            failure = new GatewayError(ErrorStage.Internal, 503, "The gateway is shutting down and stopped this stream; what was generated so far is charged. Retry the request.");
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

        var reported = decoder.Usage;
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
            await sink.EndAsync(decoder.UsageJson, finalUsage, cost, failure, request.Aborted);
        }
        catch (Exception e) when (IsClientGone(e, request))
        {
            Log.ClientDisconnected(logger, request.RequestId);
        }
        return null;
    }

    /// <summary>Keeps what was generated (only in memory, for counting tokens when the provider reports none) and the finish reason.</summary>
    private static void Remember(IReadOnlyList<StreamEvent> events, StringBuilder generated, GenerationFacts facts)
    {
        foreach (var streamEvent in events)
        {
            switch (streamEvent)
            {
                case TextDelta text: generated.Append(text.Text); break;
                case ReasoningDelta reasoning: generated.Append(reasoning.Text); break;
                case ToolCallStart start: generated.Append(start.Name); break;
                case ToolCallArgumentsDelta arguments: generated.Append(arguments.Json); break;
                case FinishEvent finish: facts.FinishReason = OpenAiCanonicalResponseEncoder.FinishReasonOf(finish.Reason); break;
            }
        }
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
