namespace Hygie.Server.Modules;

/// <summary>Every module the server hosts, in the order their endpoints are mapped.</summary>
public static class HubModules
{
    public static IReadOnlyList<IHubModule> All { get; } =
        [new GovernanceModule(), new DepositModule(), new TransparencyModule(), new Fhir.FhirModule(), new Analysis.AnalysisModule()];

    public static IReadOnlyList<Storage.Metadata.Migration> Migrations => All.SelectMany(m => m.Migrations).ToList();
}
