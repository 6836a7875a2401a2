namespace ARouter.Passthrough;

/// <summary>Settings of <c>/{provider}/{path}</c> (<c>ARouter:Passthrough</c> / <c>AROUTER__PASSTHROUGH__...</c>).</summary>
public sealed record PassthroughOptions
{
    /// <summary>Credit held for a request whose body names no model (list models, batch status, file uploads), in USD.</summary>
    public decimal DefaultReservationUsd { get; set; } = 0.05m;

    /// <summary>Per provider slug, overrides <see cref="DefaultReservationUsd"/>.</summary>
    public Dictionary<string, decimal> ProviderReservationUsd { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Largest JSON response body, or single SSE event, the usage tap parses whole. A bigger JSON body is
    /// only searched in its last <see cref="TailBytes"/>, where providers put usage.
    /// </summary>
    public int MaxParsedBytes { get; set; } = 4 * 1024 * 1024;

    public int TailBytes { get; set; } = 64 * 1024;

    public decimal ReservationUsdFor(string slug) => ProviderReservationUsd.TryGetValue(slug, out var amount) ? amount : DefaultReservationUsd;
}
