using ARouter.Passthrough;

namespace ARouter.Tests.Passthrough;

public sealed class PassthroughPathTests
{
    [Theory]
    [InlineData("/openai/v1/chat/completions")]
    [InlineData("/google/v1beta/models/gemini-2.5-flash:generateContent")]
    [InlineData("/openai/v1/files/file-abc.jsonl")]
    [InlineData("/openai/v1/..name/x")]
    [InlineData("/openai")]
    public void A_path_inside_the_provider_passes(string rawPath)
    {
        Assert.Null(PassthroughPath.FindEscape(rawPath));
    }

    [Theory]
    [InlineData("/openai/v1/%00/models")]
    [InlineData("/openai/v1/a%0ab")]
    [InlineData("/openai/v1/a%7f")]
    [InlineData("/openai/v1/a%c2%85b")]
    [InlineData("/openai/v1/a%25%30%30")]
    public void Control_characters_in_any_encoding_are_refused(string rawPath)
    {
        Assert.Equal("control characters are not allowed in a provider path", PassthroughPath.FindEscape(rawPath));
    }

    [Theory]
    [InlineData("/openai/v1/../models")]
    [InlineData("/openai/./v1")]
    [InlineData("/openai/v1/%2e%2e")]
    [InlineData("/openai/v1/..")]
    public void Dot_segments_are_refused(string rawPath)
    {
        Assert.Equal("'.' and '..' segments (in any encoding) are not allowed in a provider path", PassthroughPath.FindEscape(rawPath));
    }
}
