using System.CommandLine;
using ARouter.Auth;

namespace ARouter.Cli;

public static class KeysCommand
{
    public static Command Build(TextWriter output)
    {
        var account = new Option<string>("--account") { Description = "The account id (acct_...).", Required = true };
        var name = new Option<string>("--name") { Description = "A name for the key.", DefaultValueFactory = _ => "cli" };
        var management = new Option<bool>("--management") { Description = "Allow this key to manage the account's keys." };
        var create = new Command("create", "Create an API key for an account and print it once.") { account, name, management };
        create.SetAction(async (parse, ct) =>
        {
            var store = await CliContext.OpenStoreAsync(ct);
            var (secret, key) = ApiKeyFormat.Create(parse.GetValue(account)!, parse.GetValue(name)!, parse.GetValue(management));
            try
            {
                await store.CreateKeyAsync(key, ct);
            }
            catch (KeyNotFoundException)
            {
                await Console.Error.WriteLineAsync($"No account '{parse.GetValue(account)}'.");
                return 1;
            }
            await output.WriteLineAsync($"key_id   {key.Id}");
            await output.WriteLineAsync($"key      {secret}");
            await output.WriteLineAsync("The key is shown only this once: store it now.");
            return 0;
        });

        var keys = new Command("keys", "Manage API keys.");
        keys.Subcommands.Add(create);
        return keys;
    }
}
