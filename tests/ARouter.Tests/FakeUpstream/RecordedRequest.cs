using System.Text.Json;

namespace ARouter.Tests.FakeUpstream;

/// <summary>
/// One request as a fake provider received it. <see cref="Path"/> is the part after the <c>/{slug}</c> prefix;
/// <see cref="ConnectionId"/> tells which TCP connection it came on (Kestrel's id).
/// </summary>
public sealed record RecordedRequest(string Slug, string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public string ConnectionId { get; init; } = "";

    /// <summary>Completes once the fake has sent its whole response (the last byte of the body is on the wire).</summary>
    public Task Answered => _answered.Task;

    private readonly TaskCompletionSource _answered = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal void MarkAnswered() => _answered.TrySetResult();

    public JsonElement Json => JsonDocument.Parse(Body.Length == 0 ? "null" : Body).RootElement.Clone();
}
