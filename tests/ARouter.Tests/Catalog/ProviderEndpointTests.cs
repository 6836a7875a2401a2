using ARouter.Catalog;

namespace ARouter.Tests.Catalog;

public sealed class ProviderEndpointTests
{
    private static readonly ProviderRecord OpenAi = GatewayWithFakes.Catalog.FindProvider("openai")!;

    [Theory]
    [InlineData("https://api.example.com", "/v1/chat/completions", "https://api.example.com/v1/chat/completions")]
    [InlineData("https://api.example.com/", "v1/chat/completions", "https://api.example.com/v1/chat/completions")]
    [InlineData("https://proxy.example.com/openai/", "/v1/chat/completions", "https://proxy.example.com/openai/v1/chat/completions")]
    public void A_path_joins_the_base_url_keeping_its_own_path(string baseUrl, string path, string expected)
    {
        Assert.Equal(expected, new ProviderEndpoint(OpenAi, baseUrl, null).Resolve(path).AbsoluteUri);
    }

    [Fact]
    public void A_path_is_parsed_once_per_base_url()
    {
        var first = new ProviderEndpoint(OpenAi, "https://one.example.com", null);
        var second = new ProviderEndpoint(OpenAi, "https://two.example.com", null);

        Assert.Same(first.Resolve("/v1/chat/completions"), first.Resolve("/v1/chat/completions"));
        Assert.Equal("https://two.example.com/v1/chat/completions", second.Resolve("/v1/chat/completions").AbsoluteUri);
        Assert.Equal("https://one.example.com/v1/embeddings", first.Resolve("/v1/embeddings").AbsoluteUri);
    }

    [Fact]
    public void The_base_url_is_parsed_once_and_is_null_when_it_is_not_absolute()
    {
        Assert.Equal("https://proxy.example.com/openai/", new ProviderEndpoint(OpenAi, "https://proxy.example.com/openai/", null).BaseUri?.AbsoluteUri);
        Assert.Null(new ProviderEndpoint(OpenAi, "proxy.example.com/openai", null).BaseUri);
    }
}
