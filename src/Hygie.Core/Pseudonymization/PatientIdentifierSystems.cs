namespace Hygie.Core.Pseudonymization;

/// <summary>
/// The FHIR <c>Identifier.system</c>s of a Patient that the hub turns into a <c>person_id</c>, and the kind of
/// identifier each holds. The French INS systems are those of the ANS (FR Core <c>fr-core-patient-ins</c>): INS-NIR
/// <c>urn:oid:1.2.250.1.213.1.4.8</c> (also the NSS slice, type <c>NH</c>, a raw NIR), INS-NIA
/// <c>urn:oid:1.2.250.1.213.1.4.9</c>, and the test and demonstration INS-NIR <c>…4.10</c>, <c>…4.11</c>; all hold a NIR or
/// NIA and link as <c>nir:</c>. <see cref="SndsBenNirPsa"/> is the hub's own system for the SNDS pseudonym, so that a
/// hospital's Patient links to the same person's SNDS claims.
/// </summary>
public static class PatientIdentifierSystems
{
    public const string InsNir = "urn:oid:1.2.250.1.213.1.4.8";
    public const string InsNia = "urn:oid:1.2.250.1.213.1.4.9";
    public const string InsNirTest = "urn:oid:1.2.250.1.213.1.4.10";
    public const string InsNirDemo = "urn:oid:1.2.250.1.213.1.4.11";

    /// <summary>The SNDS <c>BEN_NIR_PSA</c>, as the hub names it (synthetic data and SNDS-linked producers use it).</summary>
    public const string SndsBenNirPsa = "urn:hygie:snds:ben-nir-psa";

    /// <summary>The HL7 v2-0203 identifier type of a national health plan number (the NSS slice of FR Core).</summary>
    public const string NationalHealthPlanType = "NH";

    /// <summary>
    /// The kind of identifier a Patient identifier of <paramref name="system"/> holds, or null when the hub does not link
    /// on it. <paramref name="typeCode"/> is the identifier's v2-0203 type code, if any (<c>NH</c>: a raw NIR).
    /// </summary>
    public static PersonIdentifierKind? KindOf(string? system, string? typeCode = null) => system switch
    {
        SndsBenNirPsa => PersonIdentifierKind.SndsBenNirPsa,
        InsNir => typeCode == NationalHealthPlanType ? PersonIdentifierKind.Nir : PersonIdentifierKind.Ins,
        InsNia or InsNirTest or InsNirDemo => PersonIdentifierKind.Ins,
        _ => null,
    };

    /// <summary>Which identifier wins when a Patient carries several: the SNDS pseudonym first (it links to claims), then
    /// the NIR and the INS (which give the same <c>nir:</c> pseudonym).</summary>
    public static int Priority(PersonIdentifierKind kind) => kind switch
    {
        PersonIdentifierKind.SndsBenNirPsa => 0,
        PersonIdentifierKind.Nir => 1,
        PersonIdentifierKind.Ins => 2,
        _ => 9,
    };
}
