using ARouter.Catalog;

namespace ARouter.Tests.Catalog;

public sealed class ModelCatalogTests
{
    private static readonly ModelCatalog Embedded = ModelCatalog.Load(null);

    [Theory]
    [InlineData("openai/gpt-5.4")]
    [InlineData("anthropic/claude-sonnet-4.6")]
    [InlineData("google/gemini-2.5-flash")]
    [InlineData("deepseek/deepseek-v3.2")]
    public void Every_model_the_product_documents_name_is_in_the_catalog(string id)
        => Assert.NotNull(Embedded.FindModel(id));

    [Fact]
    public void All_twelve_providers_have_at_least_three_priced_chat_models()
    {
        Assert.Equal(12, Embedded.Providers.Count);
        foreach (var provider in Embedded.Providers)
        {
            var chat = Embedded.Models.Where(m => m.Provider == provider.Slug && !m.IsEmbedding).ToList();
            Assert.True(chat.Count >= 3, $"{provider.Slug} has {chat.Count} chat models");
            Assert.All(chat, m => Assert.True(m.ContextLength > 0, m.Id));
            // NVIDIA's hosted catalog is free for development; everyone else publishes list prices.
            if (provider.Slug != "nvidia") Assert.All(chat, m => Assert.True(m.Price.Prompt > 0 && m.Price.Completion > 0, m.Id));
        }
    }

    [Fact]
    public void An_override_file_adds_providers_and_models_and_missing_quirks_take_their_defaults()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, """
        {
          "providers": [{ "slug": "local", "name": "Local vLLM", "base_url": "http://127.0.0.1:8000", "dialect": "openai", "auth": "bearer", "chat_path": "/v1/chat/completions" }],
          "models": [
            { "id": "local/llama", "provider": "local", "upstream_id": "meta-llama/Llama-3.3-70B", "context_length": 8192, "price_per_mtok": { "prompt": 0.1, "completion": 0.2 } },
            { "id": "deepseek/deepseek-chat", "provider": "deepseek", "upstream_id": "deepseek-chat", "context_length": 65536, "price_per_mtok": { "prompt": 9, "completion": 9 } }
          ]
        }
        """);
        try
        {
            var catalog = ModelCatalog.Load(path);

            var local = catalog.FindProvider("local")!;
            Assert.Equal("max_tokens", local.Quirks.MaxTokensField);
            Assert.Empty(local.Quirks.UnsupportedFields);
            Assert.Empty(local.Quirks.RenamedFields);
            Assert.Equal(0.2m, catalog.FindModel("local/llama")!.Price.Completion);
            Assert.Equal(9m, catalog.FindModel("deepseek/deepseek-chat")!.Price.Prompt);
            Assert.Equal(Embedded.Models.Count + 1, catalog.Models.Count);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_model_of_an_unknown_provider_is_refused_at_start_up()
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, """{ "models": [{ "id": "ghost/model", "provider": "ghost", "upstream_id": "model", "context_length": 1 }] }""");
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => ModelCatalog.Load(path));
            Assert.Contains("ghost", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
