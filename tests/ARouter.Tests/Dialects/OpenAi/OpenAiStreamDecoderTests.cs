using System.Buffers;
using System.Text;
using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects;
using ARouter.Dialects.Canonical;
using ARouter.Dialects.OpenAi;

namespace ARouter.Tests.Dialects.OpenAi;

/// <summary>
/// The one-pass chunk reader against what a whole-document read of the same chunk says (the reading the gateway did
/// before, kept here as <see cref="DocumentReading"/>), over documented shapes and thousands of generated chunks; and
/// the rewrite from bytes against the rewrite from a document, byte for byte.
/// </summary>
public class OpenAiStreamDecoderTests
{
    public static TheoryData<string> Documented => new()
    {
        """{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}""",
        """{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"caf\u00e9 \"q\" \\ \ud83d\ude00 \u2028"},"finish_reason":null}],"usage":null}""",
        """{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":3},"completion_tokens_details":{"reasoning_tokens":4}}}""",
        // DeepSeek: reasoning_content deltas, cache hits at the top level of usage.
        """{"id":"1","object":"chat.completion.chunk","created":1,"model":"deepseek-reasoner","choices":[{"index":0,"delta":{"content":null,"reasoning_content":"Think \u201cfirst\u201d"},"logprobs":null,"finish_reason":null}]}""",
        """{"id":"1","choices":[{"index":0,"delta":{"content":"","reasoning_content":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":20,"total_tokens":30,"prompt_cache_hit_tokens":8,"prompt_cache_miss_tokens":2}}""",
        // OpenRouter-style reasoning; Moonshot's usage inside the choice; Groq's under x_groq.
        """{"id":"2","choices":[{"index":0,"delta":{"reasoning":"hmm"},"finish_reason":null}]}""",
        """{"id":"3","choices":[{"index":0,"delta":{},"finish_reason":"stop","usage":{"prompt_tokens":5,"completion_tokens":6,"total_tokens":11}}]}""",
        """{"id":"4","choices":[{"index":0,"delta":{},"finish_reason":"length"}],"x_groq":{"id":"req_1","usage":{"prompt_tokens":7,"completion_tokens":8}}}""",
        // Tool calls: the first piece names the call, later ones extend its arguments; two calls interleaved.
        """{"id":"5","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}""",
        """{"id":"5","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":\"Par"}},{"index":1,"id":"call_b","function":{"name":"get_time","arguments":"{}"}}]},"finish_reason":null}]}""",
        """{"id":"5","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}""",
        // MiniMax's failure in a 200 body, and an error where the choices should be.
        """{"id":"6","choices":null,"base_resp":{"status_code":1002,"status_msg":"rate limit"}}""",
        """{"error":{"message":"overloaded","type":"server_error"}}""",
        """{"error":"plain"}""",
        // Shapes that are not what the fields should be: nothing is read from them, nothing breaks.
        """{"choices":{"index":0},"usage":[1]}""",
        """{"choices":[1,{"delta":{"content":"second choice is not read"}}]}""",
        """{"choices":[{"delta":"text","finish_reason":7}],"usage":{"prompt_tokens":"1","completion_tokens":2.5}}""",
        """{"choices":[{"delta":{"tool_calls":[{"index":"0","id":5,"function":"f"},{"id":"x"}]}}]}""",
        """{"choices":[{"delta":{"content":"a"},"finish_reason":"something_new"}],"usage":{}}""",
        """{"\u0069d":"escaped-name","mod\u0065l":"m","choices":[{"delta":{"cont\u0065nt":"escaped key"}}]}""",
        """{"n":[1e5,-0,1.50,12345678901234567890,true,false,null,{"a":[{}]}],"choices":[]}""",
        "{ \"id\" : \"spaced\" ,\n \"choices\" : [ { \"delta\" : { \"content\" : \"x\" } } ] }",
    };

    [Theory]
    [MemberData(nameof(Documented))]
    public void A_documented_or_odd_chunk_reads_as_a_document_read_of_it(string chunk) => AssertSameReading(chunk);

    [Fact]
    public void Thousands_of_generated_chunks_read_as_a_document_read_of_them()
    {
        var random = new Random(20261201);
        for (var i = 0; i < 3000; i++) AssertSameReading(GeneratedChunk(random));
    }

    [Theory]
    [MemberData(nameof(Documented))]
    public void A_chunk_spliced_from_its_layout_is_the_rewrite_from_its_document(string chunk) => AssertSameSplice(chunk);

    [Fact]
    public void Generated_chunks_spliced_from_their_layout_are_the_rewrite_from_their_documents()
    {
        var random = new Random(20261201);
        var spliced = 0;
        for (var i = 0; i < 3000; i++) spliced += AssertSameSplice(GeneratedChunk(random)) ? 1 : 0;
        Assert.True(spliced > 2000, $"only {spliced} of 3000 generated chunks were spliceable");
    }

    [Fact]
    public void A_splice_puts_the_gateways_id_and_model_first_and_keeps_the_providers_bytes_as_they_were()
    {
        var chunk = Encoding.UTF8.GetBytes("""{ "id" : "chatcmpl-1", "object":"chat.completion.chunk","model":"gpt-4o","choices":[{"delta":{"content":"café <b>"}}] ,"usage":{"prompt_tokens":1,"completion_tokens":2}}""");
        var decoder = new OpenAiStreamDecoder();
        decoder.Read(chunk);
        Assert.True(decoder.Layout.Spliceable);
        Assert.Equal("""{"id":"gen-1","model":"p/m","object":"chat.completion.chunk","choices":[{"delta":{"content":"café <b>"}}],"usage":{"prompt_tokens":1,"completion_tokens":2}}""", Splice(decoder, chunk, strip: false));
        Assert.Equal("""{"id":"gen-1","model":"p/m","object":"chat.completion.chunk","choices":[{"delta":{"content":"café <b>"}}]}""", Splice(decoder, chunk, strip: true));
    }

    [Theory]
    [InlineData("""{"id":"a","id":"b","choices":[]}""")]
    [InlineData("""{"model":"a","choices":[],"model":"b"}""")]
    [InlineData("""{"usage":null,"choices":[],"usage":{"prompt_tokens":1}}""")]
    public void A_chunk_that_repeats_id_model_or_usage_is_not_spliced(string chunk)
    {
        var decoder = new OpenAiStreamDecoder();
        decoder.Read(Encoding.UTF8.GetBytes(chunk));
        Assert.False(decoder.Layout.Spliceable);
    }

    [Theory]
    [MemberData(nameof(Documented))]
    public void A_chunk_rewritten_from_its_bytes_is_byte_for_byte_the_rewrite_from_its_document(string chunk) => AssertSameRewrite(chunk);

    [Fact]
    public void Generated_chunks_rewritten_from_their_bytes_are_byte_for_byte_the_rewrite_from_their_documents()
    {
        var random = new Random(7);
        for (var i = 0; i < 3000; i++) AssertSameRewrite(GeneratedChunk(random));
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("{\"choices\":[{\"delta\":{\"content\":\"cut")]
    [InlineData("{\"choices\":[]} trailing")]
    [InlineData("{\"a\":1}{\"b\":2}")]
    [InlineData("")]
    public void What_is_not_one_JSON_object_is_not_a_chunk(string data)
    {
        var decoder = new OpenAiStreamDecoder();
        Assert.False(decoder.Read(Encoding.UTF8.GetBytes(data)).IsObject);
        Assert.Equal(0, decoder.Events.Count);
    }

    [Fact]
    public void Usage_in_a_chunk_that_turns_out_broken_is_not_counted()
    {
        var decoder = new OpenAiStreamDecoder();
        var chunk = Encoding.UTF8.GetBytes("""{"usage":{"prompt_tokens":5,"completion_tokens":6},"choices":[{"delta":{"content":"x"}}]""");
        Assert.False(decoder.Read(chunk).IsObject);
        decoder.Accept(chunk);
        Assert.Null(decoder.Usage);
        Assert.Null(decoder.UsageJson);
    }

    [Fact]
    public void The_last_usage_wins_and_its_json_outlives_the_chunk_it_came_in()
    {
        var decoder = new OpenAiStreamDecoder();
        foreach (var usage in new[] { """{"prompt_tokens":1,"completion_tokens":2}""", """{"prompt_tokens":3,"completion_tokens":4,"x":"é"}""" })
        {
            var chunk = Encoding.UTF8.GetBytes($$"""{"choices":[],"usage":{{usage}}}""");
            decoder.Read(chunk);
            decoder.Accept(chunk);
            Array.Clear(chunk);
        }
        Assert.Equal(new TokenUsage(3, 4), decoder.Usage);
        Assert.Equal("""{"prompt_tokens":3,"completion_tokens":4,"x":"é"}""", decoder.UsageJson!.Value.GetRawText());
    }

    private static void AssertSameReading(string chunk)
    {
        var bytes = Encoding.UTF8.GetBytes(chunk);
        var expected = DocumentReading.Of(bytes);
        var decoder = new OpenAiStreamDecoder();
        var read = decoder.Read(bytes);
        Assert.True(expected.IsObject == read.IsObject, chunk);
        if (!read.IsObject) return;
        Assert.True(expected.MayBeError == read.MayBeError, chunk);
        Assert.True(expected.CarriesUsage == read.CarriesUsage, chunk);
        Assert.True(expected.HasChoices == read.HasChoices, chunk);
        var events = Enumerable.Range(0, decoder.Events.Count).Select(i => Describe(decoder.Events[i])).ToList();
        Assert.True(expected.Events.SequenceEqual(events), $"{chunk}\nexpected {string.Join(" | ", expected.Events)}\nread     {string.Join(" | ", events)}");
        decoder.Accept(bytes);
        Assert.Equal(expected.Usage, decoder.Usage);
        Assert.Equal(expected.UsageJson, decoder.UsageJson?.GetRawText());
        Assert.Equal(expected.Events.Any(e => e.StartsWith("Finish", StringComparison.Ordinal)), decoder.Complete);
    }

    private static void AssertSameRewrite(string chunk)
    {
        var bytes = Encoding.UTF8.GetBytes(chunk);
        if (!DocumentReading.Of(bytes).IsObject) return;
        using var document = JsonDocument.Parse(bytes);
        foreach (var strip in new[] { false, true })
        {
            var fromDocument = Write(json => OpenAiResponseEncoder.WriteRewritten(json, document.RootElement, "gen-1", "p/m \"é\"", null, strip));
            var fromBytes = Write(json => OpenAiResponseEncoder.WriteRewrittenChunk(json, bytes, "gen-1", "p/m \"é\"", strip));
            Assert.True(fromDocument == fromBytes, $"{chunk}\ndocument {fromDocument}\nbytes    {fromBytes}");
        }
    }

    /// <returns>Whether the chunk could be spliced (and so was compared).</returns>
    private static bool AssertSameSplice(string chunk)
    {
        var bytes = Encoding.UTF8.GetBytes(chunk);
        var decoder = new OpenAiStreamDecoder();
        var read = decoder.Read(bytes);
        if (!read.IsObject || read.NotText || !decoder.Layout.Spliceable) return false;
        using var document = JsonDocument.Parse(bytes);
        foreach (var strip in new[] { false, true })
        {
            var rewritten = Write(json => OpenAiResponseEncoder.WriteRewritten(json, document.RootElement, "gen-1", "p/m \"é\"", null, strip));
            var spliced = Splice(decoder, bytes, strip, "p/m \"é\"");
            using var expected = JsonDocument.Parse(rewritten);
            using var actual = JsonDocument.Parse(spliced);
            Assert.True(JsonElement.DeepEquals(expected.RootElement, actual.RootElement), $"{chunk}\nrewritten {rewritten}\nspliced   {spliced}");
        }
        return true;
    }

    private static string Splice(OpenAiStreamDecoder decoder, byte[] chunk, bool strip, string model = "p/m")
    {
        var output = new ArrayBufferWriter<byte>();
        decoder.Layout.WriteRewritten(output, chunk, OpenAiResponseEncoder.IdAndModel("gen-1", model), strip);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private static string Write(Action<Utf8JsonWriter> write)
    {
        var output = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping })) write(json);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private static string Describe(StreamEvent e) => e.Kind switch
    {
        StreamEventKind.ToolCallStart => $"ToolCallStart {e.Index} {e.Id} {e.Name}",
        StreamEventKind.Finish => $"Finish {e.Reason}",
        StreamEventKind.ToolCallArguments => $"ToolCallArguments {e.Index} {e.Text}",
        _ => $"{e.Kind} {e.Text}",
    };

    private static readonly string[] Texts = ["", "plain", "caf\\u00e9", "\\\"quoted\\\"", "back\\\\slash", "\\ud83d\\ude00", "é中文😀", "tab\\t nl\\n", "\\u2028", "<b>&amp;</b>", "\\/"];
    private static readonly string[] Finishes = ["\"stop\"", "\"length\"", "\"tool_calls\"", "\"content_filter\"", "\"function_call\"", "\"end_turn\"", "\"max_tokens\"", "\"tool_use\"", "\"other\"", "null", "3"];

    /// <summary>A chunk made of a random choice of the fields vendors send, in random order, some of the wrong kind.</summary>
    private static string GeneratedChunk(Random random)
    {
        string Text() => "\"" + Texts[random.Next(Texts.Length)] + "\"";
        string Maybe(string value) => random.Next(6) switch { 0 => "null", 1 => "7", 2 => "[]", _ => value };
        string Object(IEnumerable<(string Name, string Value)> fields) => "{" + string.Join(",", fields.OrderBy(_ => random.Next()).Select(f => $"\"{f.Name}\":{f.Value}")) + "}";
        IEnumerable<(string, string)> Some(params (string, Func<string>)[] fields) => fields.Where(_ => random.Next(3) > 0).Select(f => (f.Item1, f.Item2()));
        string Usage() => Maybe(Object(Some(
            ("prompt_tokens", () => Maybe(random.Next(-2, 500).ToString())),
            ("completion_tokens", () => Maybe(random.Next(0, 500).ToString())),
            ("total_tokens", () => "10"),
            ("prompt_cache_hit_tokens", () => Maybe(random.Next(0, 50).ToString())),
            ("prompt_tokens_details", () => Maybe(Object(Some(("cached_tokens", () => Maybe(random.Next(0, 9).ToString())))))),
            ("completion_tokens_details", () => Maybe(Object(Some(("reasoning_tokens", () => Maybe(random.Next(0, 9).ToString())))))))));
        string ToolCall() => Maybe(Object(Some(
            ("index", () => Maybe(random.Next(0, 3).ToString())),
            ("id", () => Maybe($"\"call_{random.Next(9)}\"")),
            ("type", () => "\"function\""),
            ("function", () => Maybe(Object(Some(("name", () => Maybe(Text())), ("arguments", () => Maybe(Text())))))))));
        string Delta() => Maybe(Object(Some(
            ("role", () => "\"assistant\""),
            ("content", () => Maybe(Text())),
            ("reasoning_content", () => Maybe(Text())),
            ("reasoning", () => Maybe(Text())),
            ("tool_calls", () => Maybe("[" + string.Join(",", Enumerable.Range(0, random.Next(3)).Select(_ => ToolCall())) + "]")))));
        string Choice() => Maybe(Object(Some(
            ("index", () => "0"),
            ("delta", Delta),
            ("logprobs", () => "null"),
            ("finish_reason", () => Finishes[random.Next(Finishes.Length)]),
            ("usage", Usage))));
        return Object(Some(
            ("id", () => "\"chatcmpl-x\""),
            ("object", () => "\"chat.completion.chunk\""),
            ("created", () => "1700000000"),
            ("model", () => Text()),
            ("system_fingerprint", () => "\"fp_1\""),
            ("choices", () => Maybe("[" + string.Join(",", Enumerable.Range(0, random.Next(3)).Select(_ => Choice())) + "]")),
            ("usage", Usage),
            ("x_groq", () => Maybe(Object(Some(("id", () => "\"req\""), ("usage", Usage))))),
            ("base_resp", () => Maybe(Object(Some(("status_code", () => Maybe(random.Next(2) == 0 ? "0" : "1002")), ("status_msg", Text))))),
            ("error", () => Maybe(Object(Some(("message", Text)))))));
    }

    /// <summary>How a chunk reads through a whole-document parse: the gateway's reading before the one-pass reader.</summary>
    private sealed record DocumentReading(bool IsObject, bool MayBeError, bool CarriesUsage, bool HasChoices, List<string> Events, TokenUsage? Usage, string? UsageJson)
    {
        public static DocumentReading Of(byte[] chunk)
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(chunk);
            }
            catch (JsonException)
            {
                return new DocumentReading(false, false, false, false, [], null, null);
            }
            using (document)
            {
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object) return new DocumentReading(false, false, false, false, [], null, null);
                var baseRespFailed = root.TryGetProperty("base_resp", out var baseResp) && baseResp.ValueKind == JsonValueKind.Object
                    && baseResp.TryGetProperty("status_code", out var code) && code.ValueKind == JsonValueKind.Number && code.TryGetInt32(out var c) && c != 0;
                var mayBeError = baseRespFailed || (root.TryGetProperty("error", out var error) && error.ValueKind is JsonValueKind.Object or JsonValueKind.String && !root.TryGetProperty("choices", out _));
                TokenUsage? usage = null;
                string? usageJson = null;
                if (OpenAiUsage.TryFind(root, out var u) && OpenAiUsage.Read(u) is { } read)
                {
                    usage = read;
                    usageJson = u.GetRawText();
                }
                var hasChoices = root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0;
                return new DocumentReading(true, mayBeError, usage is not null, hasChoices, EventsOf(root), usage, usageJson);
            }
        }

        private static List<string> EventsOf(JsonElement chunk)
        {
            var events = new List<string>();
            if (!chunk.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0 || choices[0].ValueKind != JsonValueKind.Object) return events;
            var choice = choices[0];
            if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object)
            {
                if ((String(delta, "reasoning_content") ?? String(delta, "reasoning")) is { Length: > 0 } thinking) events.Add($"Reasoning {thinking}");
                if (String(delta, "content") is { Length: > 0 } content) events.Add($"Text {content}");
                if (delta.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
                {
                    foreach (var call in calls.EnumerateArray())
                    {
                        if (call.ValueKind != JsonValueKind.Object) continue;
                        var index = call.TryGetProperty("index", out var i) && i.ValueKind == JsonValueKind.Number && i.TryGetInt32(out var n) ? n : 0;
                        var function = call.TryGetProperty("function", out var f) && f.ValueKind == JsonValueKind.Object ? f : default;
                        if (String(call, "id") is { } id) events.Add($"ToolCallStart {index} {id} {(function.ValueKind == JsonValueKind.Object ? String(function, "name") ?? "" : "")}");
                        if (function.ValueKind == JsonValueKind.Object && String(function, "arguments") is { Length: > 0 } arguments) events.Add($"ToolCallArguments {index} {arguments}");
                    }
                }
            }
            if (OpenAiResponseDecoder.MapFinish(String(choice, "finish_reason")) is { } finish) events.Add($"Finish {finish}");
            return events;
        }

        private static string? String(JsonElement obj, string name) => obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
    }
}
