using System.Text;
using ARouter.Billing;
using ARouter.Catalog;
using ARouter.Passthrough;
using Microsoft.AspNetCore.Http;

namespace ARouter.Tests.Passthrough;

/// <summary>The tap reads usage however the bytes are cut, and gives up quietly on what it cannot read.</summary>
public sealed class UsageTapTests
{
    private static UsageTap Tap(WireDialect dialect, string contentType, PassthroughOptions? options = null)
    {
        var http = new DefaultHttpContext();
        http.Response.ContentType = contentType;
        return new UsageTap(dialect, http.Response, options ?? new PassthroughOptions());
    }

    [Fact]
    public void An_anthropic_stream_cut_into_single_bytes_with_CRLF_line_ends_is_read_whole()
    {
        var tap = Tap(WireDialect.Anthropic, "text/event-stream");
        var stream = "event: message_start\r\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-4-6\",\"usage\":{\"input_tokens\":80,\"cache_read_input_tokens\":20,\"cache_creation_input_tokens\":10,\"output_tokens\":1}}}\r\n\r\n"
            + "event: ping\r\ndata: {\"type\":\"ping\"}\r\n\r\n"
            + "event: message_delta\r\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":42}}\r\n\r\n";
        foreach (var b in Encoding.UTF8.GetBytes(stream)) tap.Observe([b]);
        tap.Complete();

        Assert.Equal(new TokenUsage(110, 42, 20, 0, 10), tap.Usage);
        Assert.Equal("claude-sonnet-4-6", tap.Model);
        Assert.True(tap.IsEventStream);
    }

    [Fact]
    public void An_event_over_the_limit_is_skipped_and_the_next_one_still_counts()
    {
        var tap = Tap(WireDialect.Gemini, "text/event-stream", new PassthroughOptions { MaxParsedBytes = 1024 });
        tap.Observe(Encoding.UTF8.GetBytes("data: {\"candidates\":[],\"pad\":\"" + new string('x', 5000) + "\",\"usageMetadata\":{\"promptTokenCount\":999}}\n\n"));
        tap.Observe(Encoding.UTF8.GetBytes("data: {\"usageMetadata\":{\"promptTokenCount\":7,\"candidatesTokenCount\":3}}\n\n"));
        tap.Complete();

        Assert.Equal(new TokenUsage(7, 3), tap.Usage);
    }

    [Theory]
    [InlineData("application/json", "{not json at all")]
    [InlineData("application/json", "")]
    [InlineData("text/event-stream", "data: [DONE]\n\ndata: {broken\n\n")]
    [InlineData("application/octet-stream", "{\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":5}}")]
    public void A_body_it_cannot_read_gives_no_usage_and_no_exception(string contentType, string body)
    {
        var tap = Tap(WireDialect.OpenAi, contentType);
        tap.Observe(Encoding.UTF8.GetBytes(body));
        tap.Complete();

        Assert.Null(tap.Usage);
    }

    [Fact]
    public void A_json_body_over_the_parse_limit_is_billed_from_the_usage_in_its_tail()
    {
        var tap = Tap(WireDialect.OpenAi, "application/json", new PassthroughOptions { MaxParsedBytes = 4096, TailBytes = 512 });
        tap.Observe(Encoding.UTF8.GetBytes("{\"model\":\"gpt-5.4\",\"choices\":[{\"message\":{\"content\":\""));
        for (var i = 0; i < 100; i++) tap.Observe(Encoding.UTF8.GetBytes(new string('y', 1000)));
        tap.Observe(Encoding.UTF8.GetBytes("\"}}],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":22,\"prompt_tokens_details\":{\"cached_tokens\":3}}}"));
        tap.Complete();

        Assert.Equal(new TokenUsage(11, 22, 3), tap.Usage);
        Assert.Equal("gpt-5.4", tap.Model);
    }

    [Fact]
    public void A_compressed_body_is_not_read()
    {
        var http = new DefaultHttpContext();
        http.Response.ContentType = "application/json";
        http.Response.Headers.ContentEncoding = "gzip";
        var tap = new UsageTap(WireDialect.OpenAi, http.Response, new PassthroughOptions());
        tap.Observe(Encoding.UTF8.GetBytes("{\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":5}}"));
        tap.Complete();

        Assert.Null(tap.Usage);
    }
}
