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
        var port = new Option<int?>("--port") { Description = "Port to listen on at 127.0.0.1 (shorthand for --urls http://127.0.0.1:PORT; 0 picks a free one)." };
        port.Validators.Add(result =>
        {
            if (result.GetValue(port) is { } value and (< 0 or > 65535)) result.AddError($"--port {value} is not a port: give 0 to 65535.");
        });
        command.Options.Add(urls);
        command.Options.Add(port);
        command.Validators.Add(result =>
        {
            if (result.GetValue(port) is not null && result.GetValue(urls) is not null) result.AddError("Give --urls or --port, not both.");
        });
        command.SetAction(async (parse, ct) =>
        {
            var args = new List<string>(parse.UnmatchedTokens);
            if (parse.GetValue(urls) is { Length: > 0 } value) args.AddRange(["--urls", value]);
            if (parse.GetValue(port) is { } listenPort) args.AddRange(["--urls", $"http://127.0.0.1:{listenPort}"]);
            var app = GatewayApp.Build([.. args]);
            await GatewayApp.PrepareAsync(app);
            await app.RunAsync();
            return 0;
        });
        return command;
    }
}
