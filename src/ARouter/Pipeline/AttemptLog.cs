using System.Text.Json;

namespace ARouter.Pipeline;

/// <summary>The candidates a request tried before the one that answered, so its generation record can say why (metadata only).</summary>
public sealed class AttemptLog
{
    private readonly List<(string Model, int Status, long LatencyMs)> _attempts = [];

    public void Add(string model, int status, long latencyMs) => _attempts.Add((model, status, latencyMs));

    public string? ToJson()
    {
        if (_attempts.Count == 0) return null;
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var (model, status, latency) in _attempts)
            {
                json.WriteStartObject();
                json.WriteString("model", model);
                json.WriteString("provider", model.Contains('/') ? model[..model.IndexOf('/')] : null);
                json.WriteNumber("status", status);
                json.WriteNumber("latency_ms", latency);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
