using System.Globalization;
using ARouter.Endpoints;

namespace ARouter.Dashboard;

/// <summary>Reads the dashboard's form fields with the same rules the API applies to the same values.</summary>
public static class FormInput
{
    /// <summary>An optional USD amount: empty is null; otherwise the API's rules for credits and limits.</summary>
    public static bool TryUsd(string? text, string label, bool allowZero, out decimal? amount, out string? error)
    {
        amount = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text)) return true;
        if (!decimal.TryParse(text.Trim().TrimStart('$'), NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            error = $"{label} must be an amount in USD, like 2.50.";
            return false;
        }
        error = AdminEndpoints.AmountProblem(value, label, allowZero);
        amount = error is null ? value : null;
        return error is null;
    }

    /// <summary>An optional whole number from 1 to <paramref name="max"/>: empty is null.</summary>
    public static bool TryWhole(string? text, string label, int max, out int? value, out string? error)
    {
        value = null;
        error = null;
        if (string.IsNullOrWhiteSpace(text)) return true;
        if (!int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > max)
        {
            error = $"{label} must be a whole number from 1 to {max.ToString("N0", CultureInfo.InvariantCulture)}.";
            return false;
        }
        value = n;
        return true;
    }
}
