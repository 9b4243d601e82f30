using Hygie.Core.Pseudonymization;

namespace Hygie.Core.Catalog;

/// <summary>
/// The links between the hub pseudonyms of one person's identifiers, recorded by the deposits that saw them together
/// (an IR_BEN_R row: BEN_NIR_PSA with BEN_IDT_ANO and BEN_NIR_ANO; a FHIR Patient: its SNDS pseudonym with its INS-NIR).
/// Read by analysis, so that rows deposited under any of a person's identifiers — before or after the link was
/// recorded — re-key to one project pseudonym, and an objection recorded under one identifier excludes them all.
/// </summary>
public interface IPersonLinks
{
    Task<PersonAliases> LoadAsync(CancellationToken ct = default);
}
