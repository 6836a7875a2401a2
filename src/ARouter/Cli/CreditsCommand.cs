using System.CommandLine;
using ARouter.Billing;

namespace ARouter.Cli;

public static class CreditsCommand
{
    public static Command Build(TextWriter output)
    {
        var account = new Option<string>("--account") { Description = "The account id (acct_...).", Required = true };
        var amount = new Option<string>("--amount") { Description = "USD to add, e.g. 10 or 2.50.", Required = true };
        var description = new Option<string?>("--description") { Description = "A note kept on the transaction." };
        var add = new Command("add", "Add credit to an account.") { account, amount, description };
        add.SetAction(async (parse, ct) =>
        {
            if (!CliContext.TryParseUsd(parse.GetValue(amount)!, out var usd) || usd <= 0 || usd > 1_000_000m)
            {
                await Console.Error.WriteLineAsync("--amount must be a USD amount above 0 and at most 1000000.");
                return 2;
            }
            await using var store = await CliContext.OpenStoreAsync(ct);
            try
            {
                var updated = await store.AddCreditDirectAsync(parse.GetValue(account)!, Money.ToNanos(usd), parse.GetValue(description), ct);
                await output.WriteLineAsync($"account  {updated.Id}");
                await output.WriteLineAsync($"balance  {Money.Format(Money.FromNanos(updated.BalanceNanos))} USD");
                return 0;
            }
            catch (KeyNotFoundException)
            {
                await Console.Error.WriteLineAsync($"No account '{parse.GetValue(account)}'.");
                return 1;
            }
        });

        var credits = new Command("credits", "Manage credits.");
        credits.Subcommands.Add(add);
        return credits;
    }
}
