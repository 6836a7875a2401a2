using ARouter.Auth;
using ARouter.Storage;

namespace ARouter.Dashboard.Pages;

/// <summary>Requests (generation records) and transactions, newest first, filtered by model and key. Metadata only: there is no prompt to show.</summary>
public sealed class ActivityModel(IActivityStore activity, AccountKeys keys) : DashboardPage
{
    public const int PageSize = 25;

    public bool ShowTransactions { get; private set; }
    public string? Model { get; private set; }
    public string? KeyId { get; private set; }
    public IReadOnlyList<GenerationRecord> Generations { get; private set; } = [];
    public IReadOnlyList<TransactionRecord> Transactions { get; private set; } = [];
    public IReadOnlyList<string> Models { get; private set; } = [];
    public IReadOnlyDictionary<string, string> KeyNames { get; private set; } = new Dictionary<string, string>();
    public string? OlderCursor { get; private set; }
    public bool Paged { get; private set; }

    public async Task OnGetAsync(string? view, string? model, string? key, string? before)
    {
        var ct = HttpContext.RequestAborted;
        ShowTransactions = view == "transactions";
        Model = Clean(model);
        KeyId = Clean(key);
        Paged = !string.IsNullOrEmpty(before);
        Models = await activity.UsedModelsAsync(AccountId, ct);
        KeyNames = (await keys.ListAsync(AccountId, ct)).ToDictionary(k => k.Id, k => k.Name, StringComparer.Ordinal);
        var filter = new ActivityFilter(Model, KeyId);
        if (ShowTransactions)
        {
            var rows = await activity.FindTransactionsAsync(AccountId, filter, PageCursor.Parse(before), PageSize + 1, ct);
            Transactions = rows.Take(PageSize).ToList();
            if (rows.Count > PageSize) OlderCursor = new PageCursor(Transactions[^1].CreatedAt, Transactions[^1].Id).ToString();
        }
        else
        {
            var rows = await activity.FindGenerationsAsync(AccountId, filter, PageCursor.Parse(before), PageSize + 1, ct);
            Generations = rows.Take(PageSize).ToList();
            if (rows.Count > PageSize) OlderCursor = new PageCursor(Generations[^1].CreatedAt, Generations[^1].Id).ToString();
        }
    }

    public string KeyLabel(string? keyId) => keyId is null ? "—" : KeyNames.TryGetValue(keyId, out var name) ? name : "deleted key";

    public string Link(string? view = null, string? before = null)
    {
        var query = new List<string>();
        var v = view ?? (ShowTransactions ? "transactions" : null);
        if (v is not null && v != "requests") query.Add("view=" + v);
        if (Model is not null) query.Add("model=" + Uri.EscapeDataString(Model));
        if (KeyId is not null) query.Add("key=" + Uri.EscapeDataString(KeyId));
        if (before is not null) query.Add("before=" + Uri.EscapeDataString(before));
        return "/activity" + (query.Count == 0 ? "" : "?" + string.Join('&', query));
    }
}
