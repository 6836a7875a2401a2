using System.CommandLine;

namespace ARouter.Cli;

public static class ServeCommand
{
    public static Command Build()
    {
        var urls = new Option<string?>("--urls") { Description = $"Addresses to listen on (default {GatewayApp.DefaultUrl}; also ASPNETCORE_URLS)." };
        var command = new Command("serve", "Run the gateway (SQLite under data/ unless AROUTER_DATABASE says otherwise).")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.Options.Add(urls);
        command.SetAction(async (parse, ct) =>
        {
            var args = new List<string>(parse.UnmatchedTokens);
            if (parse.GetValue(urls) is { Length: > 0 } value) args.AddRange(["--urls", value]);
            var app = GatewayApp.Build([.. args]);
            await GatewayApp.PrepareAsync(app);
            await app.RunAsync();
            return 0;
        });
        return command;
    }
}
