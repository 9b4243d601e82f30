using System.CommandLine;
using Hygie.Cli.Commands;

namespace Hygie.Cli;

/// <summary>The <c>hygie</c> command: operator verbs act on the stores, user verbs call the hub's API.</summary>
public static class HygieCli
{
    public const int Ok = 0, Failed = 1, Usage = 2;

    public static async Task<int> RunAsync(string[] args, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        var console = new CliConsole(stdout ?? Console.Out, stderr ?? Console.Error);
        var root = BuildRoot(console);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) console.Error.WriteLine($"hygie: {error.Message}");
            console.Error.WriteLine("hygie: see 'hygie --help'");
            return Usage;
        }
        return await parse.InvokeAsync(new InvocationConfiguration { Output = console.Out, Error = console.Error });
    }

    public static RootCommand BuildRoot(CliConsole console)
    {
        var g = new GlobalOptions();
        var root = new RootCommand("Hygie — a sovereign health data hub");
        foreach (var option in g.All) root.Options.Add(option);
        root.Subcommands.Add(InitCommand.Create(g, console));
        root.Subcommands.Add(ServeCommand.Create(g, console));
        root.Subcommands.Add(StatusCommand.Create(g, console));
        var audit = AuditCommands.Create(g, console);
        audit.Subcommands.Add(GovernanceCommands.AuditEvents(g, console));
        root.Subcommands.Add(audit);
        root.Subcommands.Add(KeysCommands.Create(g, console));
        foreach (var command in GovernanceCommands.Create(g, console)) root.Subcommands.Add(command);
        root.Subcommands.Add(LocationsCommands.Create(g, console));
        root.Subcommands.Add(PolicyCommands.Create(g, console));
        root.Subcommands.Add(ComplianceCommands.Create(g, console));
        root.Subcommands.Add(BackupCommands.Backup(g, console));
        root.Subcommands.Add(BackupCommands.Restore(g, console));
        root.Subcommands.Add(BackupCommands.Verify(g, console));
        root.Subcommands.Add(MigrateCommand.Create(g, console));
        root.Subcommands.Add(FhirCommands.Tenants(g, console));
        root.Subcommands.Add(FhirCommands.Alerts(g, console));
        foreach (var command in AnalysisCommands.Create(g, console)) root.Subcommands.Add(command);
        foreach (var command in DepositCommands.Create(g, console)) root.Subcommands.Add(command);
        root.Subcommands.Add(SynthCommand.Create(g, console));
        return root;
    }
}
