using System.Text;
using System.Text.Json;
using ARouter.Dialects;

namespace ARouter.Tests.Dialects;

public sealed class UsageWithCostTests
{
    [Fact]
    public void The_providers_usage_is_passed_on_with_the_gateways_cost_in_place_of_its_own()
    {
        using var provider = JsonDocument.Parse("""{"prompt_tokens":12,"cost":0.5,"completion_tokens":7,"prompt_tokens_details":{"cached_tokens":3},"co\u0073t":1}""");
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            UsageWithCost.Write(json, "usage", provider.RootElement, 0.000123m);
            json.WriteEndObject();
        }

        Assert.Equal("""{"usage":{"prompt_tokens":12,"completion_tokens":7,"prompt_tokens_details":{"cached_tokens":3},"cost":0.000123}}""", Encoding.UTF8.GetString(buffer.ToArray()));
    }
}
