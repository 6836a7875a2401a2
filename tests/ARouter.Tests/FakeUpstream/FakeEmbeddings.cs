using System.Text.Json.Nodes;

namespace ARouter.Tests.FakeUpstream;

/// <summary>OpenAI-style <c>/embeddings</c> responses, as floats or as base64 little-endian float32 (the OpenAI SDK asks for base64).</summary>
public static class FakeEmbeddings
{
    private const int Dimensions = 8;

    public static JsonObject Response(JsonObject request, FakeScript script)
    {
        var inputs = request["input"] switch
        {
            JsonArray array => array.Count,
            null => 0,
            _ => 1,
        };
        var base64 = request["encoding_format"]?.ToString() == "base64";
        var data = new JsonArray();
        for (var i = 0; i < inputs; i++)
        {
            var vector = Enumerable.Range(0, Dimensions).Select(d => (float)Math.Sin(i + d + 1)).ToArray();
            JsonNode embedding = base64
                ? Convert.ToBase64String(vector.SelectMany(BitConverter.GetBytes).ToArray())
                : new JsonArray([.. vector.Select(v => (JsonNode?)v)]);
            data.Add(new JsonObject { ["object"] = "embedding", ["index"] = i, ["embedding"] = embedding });
        }
        return new JsonObject
        {
            ["object"] = "list",
            ["data"] = data,
            ["model"] = request["model"]?.ToString(),
            ["usage"] = new JsonObject { ["prompt_tokens"] = script.PromptTokens, ["total_tokens"] = script.PromptTokens },
        };
    }
}
