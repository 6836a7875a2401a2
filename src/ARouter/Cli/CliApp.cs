using System.CommandLine;

namespace ARouter.Cli;

/// <summary>The <c>arouter</c> command line: <c>serve</c>, and administration that opens the database directly.</summary>
public static class CliApp
{
    public static Task<int> RunAsync(string[] args, TextWriter? output = null)
    {
        var root = Build(output ?? Console.Out);
        return root.Parse(args).InvokeAsync();
    }

    public static RootCommand Build(TextWriter output)
    {
        var root = new RootCommand("ARouter: one API key for 12 LLM providers, in their own SDK dialects.");
        root.Subcommands.Add(ServeCommand.Build());
        root.Subcommands.Add(AccountsCommand.Build(output));
        root.Subcommands.Add(CreditsCommand.Build(output));
        root.Subcommands.Add(KeysCommand.Build(output));
        root.Subcommands.Add(ModelsCommand.Build(output));
        root.Subcommands.Add(LoginsCommand.Build(output));
        return root;
    }
}
