using System.CommandLine;
using ARouter.Catalog;

namespace ARouter.Cli;

public static class ModelsCommand
{
    public static Command Build(TextWriter output)
    {
        var command = new Command("models", "Print the model catalog: id, context, prices per million tokens, capabilities, and whether its provider has a key.");
        command.SetAction(async (parse, ct) =>
        {
            var configuration = CliContext.Configuration();
            var catalog = ModelCatalog.Load(configuration["AROUTER_CATALOG"]);
            var providers = new ProviderDirectory(catalog, configuration);
            await output.WriteLineAsync($"{"model",-52} {"context",9} {"$/M in",9} {"$/M out",9}  {"capabilities",-32} key");
            foreach (var model in catalog.Models)
            {
                var caps = string.Join(',', new[]
                {
                    model.Capabilities.Vision ? "vision" : null, model.Capabilities.Tools ? "tools" : null, model.Capabilities.Pdf ? "pdf" : null,
                    model.Capabilities.Embeddings ? "embeddings" : null, model.Capabilities.Reasoning ? "reasoning" : null,
                }.Where(c => c is not null));
                var hasKey = providers.Find(model.Provider)?.HasKey == true ? "yes" : "no";
                await output.WriteLineAsync(FormattableString.Invariant($"{model.Id,-52} {model.ContextLength,9} {model.Price.Prompt,9:0.####} {model.Price.Completion ?? 0,9:0.####}  {caps,-32} {hasKey}"));
            }
            return 0;
        });
        return command;
    }
}
