using System.CommandLine;
using ARouter.Auth;
using ARouter.Billing;
using ARouter.Storage;

namespace ARouter.Cli;

public static class AccountsCommand
{
    public static Command Build(TextWriter output)
    {
        var name = new Option<string>("--name") { Description = "The account's name.", Required = true };
        var credits = new Option<string>("--credits") { Description = "Opening credit in USD, e.g. 5 or 12.50.", DefaultValueFactory = _ => "0" };
        var create = new Command("create", "Create an account and print its id and first (management) key.") { name, credits };
        create.SetAction(async (parse, ct) =>
        {
            if (!CliContext.TryParseUsd(parse.GetValue(credits)!, out var usd) || usd > 1_000_000m)
            {
                await Console.Error.WriteLineAsync("--credits must be a USD amount from 0 to 1000000, e.g. 5 or 12.50.");
                return 2;
            }
            await using var store = await CliContext.OpenStoreAsync(ct);
            var accountId = Ids.NewAccountId();
            var (secret, key) = ApiKeyFormat.Create(accountId, "default", management: true);
            var account = await store.CreateAccountAsync(parse.GetValue(name)!.Trim(), Money.ToNanos(usd), key, ct);
            await output.WriteLineAsync($"account  {account.Id}");
            await output.WriteLineAsync($"name     {account.Name}");
            await output.WriteLineAsync($"balance  {Money.Format(Money.FromNanos(account.BalanceNanos))} USD");
            await output.WriteLineAsync($"key_id   {key.Id}");
            await output.WriteLineAsync($"key      {secret}");
            await output.WriteLineAsync("The key is shown only this once: store it now.");
            return 0;
        });

        var accounts = new Command("accounts", "Manage accounts.");
        accounts.Subcommands.Add(create);
        return accounts;
    }
}
