namespace ARouter.Dialects.Sse;

/// <summary>One server-sent event: its optional <c>event:</c> name and its <c>data:</c> lines joined by LF.</summary>
public readonly record struct SseEvent(string? Name, ReadOnlyMemory<byte> Data)
{
    public bool IsDone => Data.Span.SequenceEqual("[DONE]"u8);
}
