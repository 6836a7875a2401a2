using ARouter.Cli;

return await CliApp.RunAsync(args);
