using System.Text.Encodings.Web;
using System.Text.Json;

namespace ARouter.Dialects;

/// <summary>Writer options for API responses: relaxed escaping so quotes and non-ASCII text read naturally (these are never HTML).</summary>
public static class JsonWriting
{
    public static readonly JsonWriterOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
