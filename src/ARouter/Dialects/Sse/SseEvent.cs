namespace ARouter.Dialects.Sse;

/// <summary>
/// One server-sent event: its optional <c>event:</c> name and its <c>data:</c> lines joined by LF. <see cref="Data"/> is the
/// reader's own buffer, valid until the reader moves to the next event: copy it to keep it.
/// </summary>
public readonly record struct SseEvent(string? Name, ReadOnlyMemory<byte> Data)
{
    public bool IsDone => Data.Span.SequenceEqual("[DONE]"u8);
}
