using ARouter.Catalog;

namespace ARouter.Dashboard.Pages;

public sealed record Snippet(string Id, string Title, string Install, string Code);

/// <summary>Copy-paste snippets for the SDKs users already have, filled in with this gateway's own base URL.</summary>
public sealed class QuickStartModel(QuickStartUrls urls, ModelCatalog catalog, ProviderDirectory providers) : DashboardPage
{
    /// <summary>The models the product's getting-started guide names, in order of preference for the example.</summary>
    private static readonly string[] Preferred = ["openai/gpt-5.4", "anthropic/claude-sonnet-4.6", "google/gemini-2.5-flash", "deepseek/deepseek-v3.2"];

    public string BaseUrl { get; private set; } = "";
    public string ExampleModel { get; private set; } = "";
    public IReadOnlyList<Snippet> Snippets { get; private set; } = [];

    public void OnGet()
    {
        BaseUrl = urls.BaseUrl(Request);
        var reachable = providers.All.Where(p => p.HasKey).Select(p => p.Provider.Slug).ToHashSet(StringComparer.Ordinal);
        ExampleModel = Preferred.FirstOrDefault(id => catalog.FindModel(id) is { } m && reachable.Contains(m.Provider))
            ?? catalog.Models.FirstOrDefault(m => !m.IsEmbedding && reachable.Contains(m.Provider))?.Id
            ?? Preferred[0];
        var b = BaseUrl;
        var m = ExampleModel;
        Snippets =
        [
            new("curl", "curl", "", $$"""
                curl {{b}}/v1/chat/completions \
                  -H "Authorization: Bearer $AROUTER_API_KEY" \
                  -H "Content-Type: application/json" \
                  -d '{"model": "{{m}}", "messages": [{"role": "user", "content": "Say hello."}]}'
                """),
            new("openai-python", "OpenAI SDK — Python", "pip install openai", $$"""
                import os
                from openai import OpenAI

                client = OpenAI(base_url="{{b}}/v1", api_key=os.environ["AROUTER_API_KEY"])
                reply = client.chat.completions.create(
                    model="{{m}}",
                    messages=[{"role": "user", "content": "Say hello."}],
                )
                print(reply.choices[0].message.content, reply.usage)
                """),
            new("openai-node", "OpenAI SDK — Node.js / TypeScript", "npm install openai", $$"""
                import OpenAI from "openai";

                const client = new OpenAI({ baseURL: "{{b}}/v1", apiKey: process.env.AROUTER_API_KEY });
                const reply = await client.chat.completions.create({
                  model: "{{m}}",
                  messages: [{ role: "user", content: "Say hello." }],
                });
                console.log(reply.choices[0].message.content, reply.usage);
                """),
            new("anthropic-python", "Anthropic SDK — Python", "pip install anthropic", $$"""
                import os
                import anthropic

                client = anthropic.Anthropic(base_url="{{b}}", api_key=os.environ["AROUTER_API_KEY"])
                message = client.messages.create(
                    model="{{m}}",
                    max_tokens=300,
                    messages=[{"role": "user", "content": "Say hello."}],
                )
                print(message.content[0].text)
                """),
            new("gemini-python", "Google Gen AI SDK — Python", "pip install google-genai", $$"""
                import os
                from google import genai

                client = genai.Client(api_key=os.environ["AROUTER_API_KEY"], http_options={"base_url": "{{b}}"})
                reply = client.models.generate_content(model="{{m}}", contents="Say hello.")
                print(reply.text)
                """),
        ];
    }
}
