using ARouter.Auth;
using ARouter.Catalog;
using ARouter.Endpoints;
using ARouter.Storage;
using Microsoft.AspNetCore.Mvc;

namespace ARouter.Dashboard.Pages;

/// <summary>Provider keys the account brings, through <see cref="ProviderCredentials"/> as <c>/api/v1/provider-keys</c> does: stored encrypted, never shown again.</summary>
public sealed class ByokModel(ModelCatalog catalog, IProviderKeyStore store, ProviderCredentials credentials) : DashboardPage
{
    public IReadOnlyList<ProviderRecord> Providers => catalog.Providers;
    public IReadOnlyDictionary<string, StoredProviderKey> Stored { get; private set; } = new Dictionary<string, StoredProviderKey>();
    public string? Message { get; private set; }
    public string? Error { get; private set; }
    public string? SelectedProvider { get; private set; }

    public async Task OnGetAsync(string? stored, string? removed)
    {
        if (catalog.FindProvider(stored ?? "") is { } s) Message = $"Your {s.Name} key is stored. Requests to {s.Slug}/… now use it, and {s.Name} bills you.";
        if (catalog.FindProvider(removed ?? "") is { } r) Message = $"Your {r.Name} key was removed.";
        await LoadAsync();
    }

    public async Task<IActionResult> OnPostStoreAsync(string? provider, string? key)
    {
        SelectedProvider = provider;
        var slug = catalog.FindProvider(provider ?? "")?.Slug;
        var trimmed = key?.Trim();
        if (slug is null) Error = "Choose a provider.";
        else if (string.IsNullOrEmpty(trimmed) || trimmed.Length > ProviderKeyEndpoints.MaxKeyLength || trimmed.Any(char.IsControl))
            Error = $"Paste the provider's API key: 1 to {ProviderKeyEndpoints.MaxKeyLength} printable characters.";
        if (Error is not null)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            await LoadAsync();
            return Page();
        }
        await credentials.SaveAsync(AccountId, slug!, trimmed!, HttpContext.RequestAborted);
        return LocalRedirect("/byok?stored=" + slug);
    }

    public async Task<IActionResult> OnPostRemoveAsync(string? provider)
    {
        var slug = catalog.FindProvider(provider ?? "")?.Slug;
        if (slug is null || !await credentials.DeleteAsync(AccountId, slug, HttpContext.RequestAborted)) return NotFound();
        return LocalRedirect("/byok?removed=" + slug);
    }

    private async Task LoadAsync()
        => Stored = (await store.ListProviderKeysAsync(AccountId, HttpContext.RequestAborted)).ToDictionary(k => k.Provider, StringComparer.Ordinal);
}
