using System.Buffers;
using System.Text;
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
using CommunityToolkit.HighPerformance.Buffers;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace ARouter.Pipeline;

/// <summary>
/// Relays a provider's SSE stream event by event, each sent as it arrives (the events of one read together, see
/// <see cref="ReadBurstWriter"/>), in the caller's dialect
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

    /// <returns>
    /// Null once the caller has its answer — complete, or ended by an error event. An error when the stream failed
    /// before anything reached the caller (no event yet): nothing is charged and the next candidate may be tried.
    /// </returns>
    public async Task<GatewayError?> RelayAsync(GatewayRequest request, IChatWire wire, UpstreamCall call, GenerationFacts facts, Reservation reservation, PromptSize prompt)
    {
        var response = request.Http.Response;
        using var output = new ReadBurstWriter(response.BodyWriter);
        var sink = CallerSinks.Stream(request, output, facts, prompt);
        var started = false;
        async ValueTask StartAsync()
        {
            // The response starts with the first event the caller gets: until then a failure can still fall back.
            started = true;
            response.StatusCode = 200;
            response.ContentType = sink.ContentType;
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Accel-Buffering"] = "no";
            request.Http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            await sink.StartAsync(request.Aborted);
        }

        // What was generated, as UTF-8 and only in memory, for counting tokens when the provider reports none.
        using var generated = new ArrayPoolBufferWriter<byte>(1024);
        using var decoder = wire.NewStreamDecoder(facts.Target.Provider.Slug);
        var deadline = call.Deadline;
        var slug = facts.Target.Provider.Slug;
        GatewayError? failure = null;
        var ending = Ending.Completed;
        // A stream still running when a shutdown's drain ends stops like a failed one: what was generated is charged, then an error event.
        using var draining = shutdown.Draining.Register(static state => ((UpstreamDeadline)state!).Stop(), deadline);

        // Outlives the try: after the last event the rest of the body is read while the charge settles.
        await using var upstreamBody = new UpstreamBody(call.Response);
        try
        {
            var body = await upstreamBody.OpenAsync(request.Aborted);
            output.Holding = true;
            await foreach (var sseEvent in SseReader.ReadAsync(body, deadline.ForNextRead, () => output.FlushHeldAsync(request.Aborted)))
            {
                deadline.EventArrived();
                facts.MarkFirstByte();
                if (sseEvent.IsDone)
                {
                    decoder.MarkDone();
                    break;
                }
                var step = decoder.Read(sseEvent);
                if (step.Ignored) continue;
                if (step.Error is { } streamError)
                {
                    failure = streamError;
                    break;
                }
                Remember(step.Events, generated, facts);
                if (!started) await StartAsync();
                await sink.EventAsync(sseEvent, step, request.Aborted);
            }
            if (!decoder.Complete && failure is null)
                failure = new GatewayError(ErrorStage.UpstreamStream, 502, $"Provider '{slug}' ended the stream before it was complete.");
            if (failure is null) upstreamBody.ReadToEnd();
        }
        catch (Exception e) when (IsClientGone(e, request))
        {
            ending = Ending.ClientGone;
        }
        catch (OperationCanceledException) when (shutdown.Draining.IsCancellationRequested)
        {
            failure = new GatewayError(ErrorStage.Internal, 503, "The gateway is shutting down and stopped this stream; what was generated so far is charged. Retry the request.");
        }
        catch (OperationCanceledException) when (deadline.Expired is not null)
        {
            failure = new GatewayError(ErrorStage.UpstreamTimeout, 504, deadline.Describe(slug));
        }
        catch (Exception e) when (e is IOException or HttpRequestException or InvalidDataException)
        {
            failure = new GatewayError(ErrorStage.UpstreamStream, 502, $"The stream from provider '{slug}' broke off: {e.GetType().Name}.");
        }
        // What the last read brought goes out now, not after the settle.
        output.Holding = false;
        if (ending != Ending.ClientGone)
        {
            try
            {
                await output.FlushHeldAsync(request.Aborted);
            }
            catch (Exception e) when (IsClientGone(e, request))
            {
                ending = Ending.ClientGone;
            }
        }
        if (failure is not null && ending == Ending.Completed) ending = Ending.UpstreamFailed;
        // Nothing reached the caller and nothing was generated: give the failure back, so it can fall back (or be answered as an error).
        if (ending == Ending.UpstreamFailed && !started && generated.WrittenCount == 0 && decoder.Usage is null)
            return failure!.Stage == ErrorStage.UpstreamStream ? failure with { Stage = ErrorStage.UpstreamFailed } : failure;

        var reported = decoder.Usage;
        var finalUsage = reported ?? new TokenUsage(prompt.Exact, generated.WrittenCount == 0 ? 0 : tokens.Count(Encoding.UTF8.GetString(generated.WrittenSpan)));
        facts.Usage = finalUsage;
        facts.UsageCounted = reported is null;
        facts.Status = ending switch { Ending.ClientGone => 499, Ending.UpstreamFailed => failure!.Status, _ => 200 };
        facts.ErrorType = failure?.Stage.ToString();

        // A provider failure before anything was generated costs nothing, nor does a caller that left before its first byte;
        // otherwise what was generated is charged.
        var charge = ending switch
        {
            Ending.UpstreamFailed => reported is not null || finalUsage.CompletionTokens > 0,
            Ending.ClientGone => started || reported is not null || generated.WrittenCount > 0,
            _ => true,
        };
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
            if (!started) await StartAsync();
            var cost = Money.FromNanos(charged);
            await sink.EndAsync(decoder.UsageJson, finalUsage, cost, failure, request.Aborted);
            // The body's end goes out now: the caller's client is done before the request log and metrics are written.
            await response.CompleteAsync();
        }
        catch (Exception e) when (IsClientGone(e, request))
        {
            Log.ClientDisconnected(logger, request.RequestId);
        }
        return null;
    }

    /// <summary>Keeps what was generated (only in memory, for counting tokens when the provider reports none) and the finish reason.</summary>
    private static void Remember(StreamEvents events, ArrayPoolBufferWriter<byte> generated, GenerationFacts facts)
    {
        for (var i = 0; i < events.Count; i++)
        {
            var streamEvent = events[i];
            switch (streamEvent.Kind)
            {
                case StreamEventKind.Text or StreamEventKind.Reasoning or StreamEventKind.ToolCallArguments:
                    generated.Write(streamEvent.Utf8.Span);
                    break;
                case StreamEventKind.ToolCallStart:
                    var name = streamEvent.Name!;
                    generated.Advance(Encoding.UTF8.GetBytes(name, generated.GetSpan(Encoding.UTF8.GetMaxByteCount(name.Length))));
                    break;
                case StreamEventKind.Finish:
                    facts.FinishReason = OpenAiCanonicalResponseEncoder.FinishReasonOf(streamEvent.Reason);
                    break;
            }
        }
    }

    private static bool IsClientGone(Exception e, GatewayRequest request)
        => e is ClientGoneException || (request.Aborted.IsCancellationRequested && e is OperationCanceledException or IOException or ObjectDisposedException);
}
