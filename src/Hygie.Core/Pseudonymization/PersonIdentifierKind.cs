namespace Hygie.Core.Pseudonymization;

/// <summary>The kinds of direct person identifier the hub turns into a <c>person_id</c>.</summary>
public enum PersonIdentifierKind
{
    /// <summary>SNDS <c>BEN_NIR_PSA</c> (DCIR, IR_BEN_R), optionally with its twin rank <c>BEN_RNG_GEM</c>.</summary>
    SndsBenNirPsa,
    /// <summary>SNDS PMSI <c>NIR_ANO_17</c>: the same pseudonymized person as <c>BEN_NIR_PSA</c>, without the rank.</summary>
    SndsNirAno17,
    /// <summary>SNDS <c>BEN_NIR_ANO</c>: the beneficiary's own pseudonymized NIR.</summary>
    SndsBenNirAno,
    /// <summary>SNDS <c>BEN_IDT_ANO</c>: the beneficiary's anonymous identifier (IR_BEN_R, causes of death).</summary>
    SndsBenIdtAno,
    /// <summary>A raw NIR (or NIA): 13 characters and an optional 2-digit key.</summary>
    Nir,
    /// <summary>An INS (identité nationale de santé) matricule: the person's NIR or NIA, 15 characters.</summary>
    Ins,
    /// <summary>
    /// A producer's own identifier of a person (a FHIR Patient's id under its tenant or producer) when no national or
    /// SNDS identifier is known: links the person's records within that producer's data only.
    /// </summary>
    Local,
}

/// <summary>How SNDS <c>BEN_NIR_PSA</c> and <c>BEN_RNG_GEM</c> make a person.</summary>
public enum SndsLinkage
{
    /// <summary>
    /// The person is <c>BEN_NIR_PSA</c> alone (default). <c>NIR_ANO_17</c> of the PMSI is the same value, so hospital
    /// stays link to claims, exactly as SNDS users join them; the rank column stays in the data (it is not identifying on
    /// its own), so (person_id, BEN_RNG_GEM) still separates same-sex twins within DCIR.
    /// </summary>
    Psa,
    /// <summary>The person is (<c>BEN_NIR_PSA</c>, <c>BEN_RNG_GEM</c>). PMSI rows (no rank) then do not link to DCIR rows.</summary>
    PsaAndRank,
}
