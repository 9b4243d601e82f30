return await Hygie.Cli.HygieCli.RunAsync(args);
