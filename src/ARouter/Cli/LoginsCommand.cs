using System.CommandLine;
using System.Text;
using ARouter.Dashboard;
using ARouter.Storage;
using Microsoft.Extensions.Options;

namespace ARouter.Cli;

/// <summary><c>arouter logins create</c>: a dashboard login for an account made by the admin API or the CLI.</summary>
public static class LoginsCommand
{
    public const string PasswordVariable = "AROUTER_LOGIN_PASSWORD";

    public static Command Build(TextWriter output)
    {
        var account = new Option<string>("--account") { Description = "The account id (acct_...).", Required = true };
        var email = new Option<string>("--email") { Description = "The email the person signs in with.", Required = true };
        var admin = new Option<bool>("--admin") { Description = "Also let this login use the operator pages (accounts, credits)." };
        var create = new Command("create", $"Give an account a dashboard login. The password is read from {PasswordVariable}, else from standard input (one line), else prompted for.")
        {
            account, email, admin,
        };
        create.SetAction(async (parse, ct) =>
        {
            var address = parse.GetValue(email)!.Trim();
            if (LoginRules.CheckEmail(address) is { } emailProblem)
            {
                await Console.Error.WriteLineAsync("--email: " + emailProblem);
                return 2;
            }
            var password = ReadPassword();
            if (LoginRules.CheckPassword(password, address) is { } passwordProblem)
            {
                await Console.Error.WriteLineAsync("Password: " + passwordProblem);
                return 2;
            }
            await using var store = await CliContext.OpenStoreAsync(ct);
            var logins = new PasswordLogins(store, Options.Create(new DashboardOptions()));
            try
            {
                var login = await logins.AddToAccountAsync(parse.GetValue(account)!.Trim(), address, password!, parse.GetValue(admin), ct);
                await output.WriteLineAsync($"login    {login.Id}");
                await output.WriteLineAsync($"account  {login.AccountId}");
                await output.WriteLineAsync($"email    {login.Email}");
                await output.WriteLineAsync($"admin    {(login.IsAdmin ? "yes" : "no")}");
                return 0;
            }
            catch (KeyNotFoundException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 1;
            }
            catch (DuplicateLoginException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 1;
            }
        });

        var logins = new Command("logins", "Manage dashboard logins.");
        logins.Subcommands.Add(create);
        return logins;
    }

    private static string? ReadPassword()
    {
        if (Environment.GetEnvironmentVariable(PasswordVariable) is { Length: > 0 } fromEnvironment) return fromEnvironment;
        if (Console.IsInputRedirected) return Console.In.ReadLine();
        Console.Error.Write("Password: ");
        var typed = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (typed.Length > 0) typed.Length--; }
            else if (!char.IsControl(key.KeyChar)) typed.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return typed.ToString();
    }
}
