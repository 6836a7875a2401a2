using System.Text;
using ARouter.Upstream;

namespace ARouter.Tests.Upstream;

public sealed class UpstreamErrorMapperTests
{
    [Theory]
    [InlineData("""{"error":{"message":"Model Not Exist","type":"invalid_request_error","param":null,"code":"invalid_request_error"}}""", "Model Not Exist")]
    [InlineData("""{"code":"Client specified an invalid argument","error":"Grok went sideways"}""", "Grok went sideways")]
    [InlineData("""{"object":"error","message":"Prompt contains 40046 tokens","type":"invalid_request_error","param":null,"code":null}""", "Prompt contains 40046 tokens")]
    [InlineData("""{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","stream_options"],"msg":"Extra inputs are not permitted"}]},"type":"invalid_request_error"}""", "extra_forbidden")]
    [InlineData("""{"id":"596143e9","message":"invalid request: property timezone must have a type"}""", "property timezone")]
    [InlineData("""{"type":"urn:nvcf-worker-service:problem-details:bad-request","title":"Bad Request","status":400,"detail":"Inference failed"}""", "Inference failed")]
    [InlineData("""{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""", "Overloaded")]
    [InlineData("""500 Missing request extension""", "Missing request extension")]
    public void The_message_is_found_in_every_providers_error_shape(string body, string expected)
        => Assert.Contains(expected, UpstreamErrorMapper.ExtractMessage(Encoding.UTF8.GetBytes(body)));

    [Theory]
    [InlineData("Incorrect API key provided: sk-proj-ab*****************wxyz. You can find your API key at https://platform.openai.com.", "sk-proj")]
    [InlineData("Incorrect API key provided: xa***. You can obtain an API key from https://console.x.ai.", "xa***")]
    [InlineData("Invalid API Key nvapi-AbCdEfGh12345", "nvapi-")]
    [InlineData("API key not valid: AIzaSyA1234567890abcdefghijklmnopqrstu", "AIzaSy")]
    [InlineData("bad token 0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcdef")]
    public void Anything_shaped_like_a_key_is_redacted_from_upstream_messages(string message, string fragment)
    {
        var body = Encoding.UTF8.GetBytes("{\"error\":{\"message\":\"" + message + "\"}}");
        var extracted = UpstreamErrorMapper.ExtractMessage(body)!;
        Assert.DoesNotContain(fragment, extracted);
        Assert.Contains("[redacted]", extracted);
    }
}
