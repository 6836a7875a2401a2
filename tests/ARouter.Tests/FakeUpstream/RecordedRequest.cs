using System.Text.Json;

namespace ARouter.Tests.FakeUpstream;

/// <summary>One request as a fake provider received it. <see cref="Path"/> is the part after the <c>/{slug}</c> prefix.</summary>
public sealed record RecordedRequest(string Slug, string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body.Length == 0 ? "null" : Body).RootElement.Clone();
}
