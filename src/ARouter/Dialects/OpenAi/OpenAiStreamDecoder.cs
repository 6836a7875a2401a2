using System.Text.Json;
using ARouter.Billing;
using ARouter.Dialects.Canonical;

namespace ARouter.Dialects.OpenAi;

/// <summary>What one OpenAI-wire chunk was, beyond its events.</summary>
/// <param name="IsObject">A JSON object; anything else (a keep-alive, broken JSON) is not a chunk.</param>
/// <param name="CarriesUsage">Non-empty usage, wherever this vendor put it.</param>
/// <param name="HasChoices">A non-empty <c>choices</c> array; a usage chunk without it has nothing else to relay.</param>
/// <param name="MayBeError">A non-zero <c>base_resp.status_code</c> (MiniMax) or an <c>error</c> where the choices should be.</param>
/// <param name="NotText">Valid JSON that is not valid Unicode (broken UTF-8, a lone surrogate escape): no caller could read it.</param>
public readonly record struct OpenAiChunk(bool IsObject, bool CarriesUsage, bool HasChoices, bool MayBeError, bool NotText = false);

/// <summary>
/// Reads an OpenAI-wire stream (one instance per stream) a chunk at a time, each in one <see cref="Utf8JsonReader"/> pass:
/// no document, iterator, list or string per chunk. The chunk's events (from <c>choices[0]</c>: thinking, text, tool
/// calls, the finish) go into <see cref="Events"/>, their text pointing into the chunk; usage is kept wherever the
/// vendor put it (top level, <c>choices[].usage</c> as Moonshot does, <c>x_groq.usage</c>), the last non-empty one winning.
/// A chunk's usage counts only once <see cref="Accept"/> says the chunk was not an error.
/// </summary>
public sealed class OpenAiStreamDecoder
{
    // The tool-call events of a chunk, put after its text; made on the first tool call.
    private StreamEvents? _tools;
    private byte[] _usageJson = [];
    private int _usageLength;
    private JsonElement? _usageElement;
    private TokenUsage? _pendingUsage;
    private (int Start, int End) _pendingUsageRange;
    private ReadOnlyMemory<byte> _chunk;

    public StreamEvents Events { get; } = new();

    /// <summary>Where the top-level properties of the chunk just read are, for a same-dialect caller's rewrite.</summary>
    public OpenAiChunkLayout Layout { get; } = new();
    public TokenUsage? Usage { get; private set; }
    public bool Complete { get; private set; }

    /// <summary>The provider's last usage object, for a caller that speaks the provider's dialect.</summary>
    public JsonElement? UsageJson
    {
        get
        {
            if (_usageLength == 0) return null;
            if (_usageElement is null)
            {
                var reader = new Utf8JsonReader(_usageJson.AsSpan(0, _usageLength));
                _usageElement = JsonElement.ParseValue(ref reader);
            }
            return _usageElement;
        }
    }

    public void MarkDone() => Complete = true;

    /// <summary>Reads one chunk into <see cref="Events"/>; its usage is only pending until <see cref="Accept"/>.</summary>
    public OpenAiChunk Read(ReadOnlyMemory<byte> chunk)
    {
        Events.Reset(chunk.Length);
        _tools?.Reset(chunk.Length);
        Layout.Reset();
        _pendingUsage = null;
        _chunk = chunk;
        var scan = new Scan();
        try
        {
            var reader = new Utf8JsonReader(chunk.Span);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                while (reader.Read()) { }
                return default;
            }
            ReadRoot(ref reader, ref scan);
            // What follows the object must be nothing but white space, as a document parse would insist.
            while (reader.Read()) { }
        }
        catch (JsonException)
        {
            Events.Reset(chunk.Length);
            return default;
        }
        catch (InvalidOperationException)
        {
            // A lone surrogate in a string this reader unescaped.
            return NotText(chunk);
        }
        finally
        {
            _chunk = default;
        }
        if (!UnicodeText.IsValid(chunk.Span)) return NotText(chunk);

        var usage = scan.TopUsage ?? scan.ChoiceUsage ?? scan.GroqUsage;
        if (usage is { Read: { } read } found)
        {
            _pendingUsage = read;
            _pendingUsageRange = found.Range;
        }
        if (scan.Thinking is { Length: > 0 } thinking) Events.Add(StreamEvent.ReasoningDelta(thinking));
        if (scan.Content is { Length: > 0 } content) Events.Add(StreamEvent.TextDelta(content));
        if (_tools is not null) Events.AddRange(_tools);
        if (scan.Finish is { } finish) Events.Add(StreamEvent.Finish(finish));
        var mayBeError = scan.BaseRespFailed || (scan.HasError && !scan.HasChoicesProperty);
        return new OpenAiChunk(true, _pendingUsage is not null, scan.ChoiceCount > 0, mayBeError);
    }

    private OpenAiChunk NotText(ReadOnlyMemory<byte> chunk)
    {
        Events.Reset(chunk.Length);
        _pendingUsage = null;
        return new OpenAiChunk(true, false, false, false, NotText: true);
    }

    /// <summary>The chunk just read was not an error: its usage (if any) and its finish count.</summary>
    public void Accept(ReadOnlyMemory<byte> chunk)
    {
        if (_pendingUsage is { } usage)
        {
            Usage = usage;
            var (start, end) = _pendingUsageRange;
            var length = end - start;
            if (_usageJson.Length < length) _usageJson = new byte[length];
            chunk.Span[start..end].CopyTo(_usageJson);
            _usageLength = length;
            _usageElement = null;
        }
        if (Events.HasFinish) Complete = true;
    }

    private struct Scan
    {
        public (TokenUsage? Read, (int Start, int End) Range)? TopUsage, ChoiceUsage, GroqUsage;
        public ReadOnlyMemory<byte>? ReasoningContent, Reasoning, Content;
        public FinishReason? Finish;
        public int ChoiceCount;
        public bool HasChoicesProperty, HasError, BaseRespFailed;

        /// <summary>DeepSeek's name first; a server that sends both names sends the same text twice.</summary>
        public readonly ReadOnlyMemory<byte>? Thinking => ReasoningContent ?? Reasoning;
    }

    private void ReadRoot(ref Utf8JsonReader reader, ref Scan scan)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var start = reader.TokenStartIndex;
            var kind = OpenAiChunkLayout.RootProperty.Other;
            if (reader.ValueTextEquals("choices"u8))
            {
                scan.HasChoicesProperty = true;
                reader.Read();
                ReadChoices(ref reader, ref scan);
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                kind = OpenAiChunkLayout.RootProperty.Usage;
                reader.Read();
                scan.TopUsage = reader.TokenType == JsonTokenType.StartObject ? OpenAiChunkUsage.Read(ref reader) : null;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("x_groq"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject) scan.GroqUsage = OpenAiChunkUsage.Find(ref reader);
                else reader.Skip();
            }
            else if (reader.ValueTextEquals("base_resp"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.StartObject) scan.BaseRespFailed = OpenAiChunkUsage.BaseRespFailed(ref reader);
                else reader.Skip();
            }
            else if (reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                scan.HasError = reader.TokenType is JsonTokenType.StartObject or JsonTokenType.String;
                reader.Skip();
            }
            else
            {
                if (reader.ValueTextEquals("id"u8)) kind = OpenAiChunkLayout.RootProperty.Id;
                else if (reader.ValueTextEquals("model"u8)) kind = OpenAiChunkLayout.RootProperty.Model;
                reader.Read();
                reader.Skip();
            }
            Layout.Add(start, reader.BytesConsumed, kind);
        }
    }

    private void ReadChoices(ref Utf8JsonReader reader, ref Scan scan)
    {
        scan.ChoiceCount = 0;
        scan.ChoiceUsage = null;
        scan.ReasoningContent = scan.Reasoning = scan.Content = null;
        scan.Finish = null;
        _tools?.Reset(_chunk.Length);
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return;
        }
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var first = scan.ChoiceCount++ == 0;
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            ReadChoice(ref reader, ref scan, first);
        }
    }

    private void ReadChoice(ref Utf8JsonReader reader, ref Scan scan, bool first)
    {
        (TokenUsage? Read, (int Start, int End) Range)? usage = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (first && reader.ValueTextEquals("delta"u8))
            {
                reader.Read();
                scan.ReasoningContent = scan.Reasoning = scan.Content = null;
                _tools?.Reset(_chunk.Length);
                if (reader.TokenType == JsonTokenType.StartObject) ReadDelta(ref reader, ref scan);
                else reader.Skip();
            }
            else if (first && reader.ValueTextEquals("finish_reason"u8))
            {
                reader.Read();
                scan.Finish = reader.TokenType == JsonTokenType.String ? MapFinish(ref reader) : null;
                reader.Skip();
            }
            else if (reader.ValueTextEquals("usage"u8))
            {
                reader.Read();
                usage = reader.TokenType == JsonTokenType.StartObject ? OpenAiChunkUsage.Read(ref reader) : null;
                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
        // The first choice that has a usage object is the one that counts.
        scan.ChoiceUsage ??= usage;
    }

    private void ReadDelta(ref Utf8JsonReader reader, ref Scan scan)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("content"u8)) scan.Content = StringValue(ref reader);
            else if (reader.ValueTextEquals("reasoning_content"u8)) scan.ReasoningContent = StringValue(ref reader);
            else if (reader.ValueTextEquals("reasoning"u8)) scan.Reasoning = StringValue(ref reader);
            else if (reader.ValueTextEquals("tool_calls"u8))
            {
                reader.Read();
                _tools?.Reset(_chunk.Length);
                if (reader.TokenType == JsonTokenType.StartArray) ReadToolCalls(ref reader);
                else reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    private void ReadToolCalls(ref Utf8JsonReader reader)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }
            var index = 0;
            string? id = null, name = null;
            ReadOnlyMemory<byte>? arguments = null;
            var hasFunction = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("index"u8))
                {
                    reader.Read();
                    index = reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var n) ? n : 0;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("function"u8))
                {
                    reader.Read();
                    hasFunction = reader.TokenType == JsonTokenType.StartObject;
                    name = null;
                    arguments = null;
                    if (!hasFunction)
                    {
                        reader.Skip();
                        continue;
                    }
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        if (reader.ValueTextEquals("name"u8))
                        {
                            reader.Read();
                            name = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                            reader.Skip();
                        }
                        else if (reader.ValueTextEquals("arguments"u8)) arguments = StringValue(ref reader);
                        else
                        {
                            reader.Read();
                            reader.Skip();
                        }
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
            if (id is not null) (_tools ??= NewTools()).Add(StreamEvent.ToolCallStart(index, id, hasFunction ? name ?? "" : ""));
            if (hasFunction && arguments is { Length: > 0 } piece) (_tools ??= NewTools()).Add(StreamEvent.ToolCallArguments(index, piece));
        }
    }

    private StreamEvents NewTools()
    {
        var tools = new StreamEvents();
        tools.Reset(_chunk.Length);
        return tools;
    }

    /// <summary>Moves to the property's value: the string, unescaped, or null for any other kind.</summary>
    private ReadOnlyMemory<byte>? StringValue(ref Utf8JsonReader reader)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.String) return Events.Text(ref reader, _chunk);
        reader.Skip();
        return null;
    }

    private static FinishReason MapFinish(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("length"u8) || reader.ValueTextEquals("max_tokens"u8)) return FinishReason.Length;
        if (reader.ValueTextEquals("tool_calls"u8) || reader.ValueTextEquals("function_call"u8) || reader.ValueTextEquals("tool_use"u8)) return FinishReason.ToolCalls;
        if (reader.ValueTextEquals("content_filter"u8)) return FinishReason.ContentFilter;
        return FinishReason.Stop;
    }
}
