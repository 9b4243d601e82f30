namespace Hygie.Synthetic.Cohort;

/// <summary>
/// One synthetic beneficiary: the SNDS identifiers (pseudonym-shaped, 17 letters), the NIR a clinic would know them by,
/// sex, birth, death, residence and affiliation. Everything is derived from the cohort's seed and <see cref="Index"/>.
/// </summary>
public sealed class SyntheticPerson
{
    public required long Index { get; init; }

    /// <summary>BEN_NIR_PSA, which is also the PMSI's NIR_ANO_17.</summary>
    public required string BenNirPsa { get; init; }

    /// <summary>BEN_RNG_GEM: always 1 (no twins share a BEN_NIR_PSA here, so persons link on BEN_NIR_PSA alone).</summary>
    public int BenRngGem => 1;

    /// <summary>BEN_IDT_ANO, the key of the causes of death (KI_CCI_R).</summary>
    public required string BenIdtAno { get; init; }

    public required string BenNirAno { get; init; }

    /// <summary>ASS_NIR_ANO: the insured person the beneficiary's rights come from.</summary>
    public required string AssNirAno { get; init; }

    /// <summary>The person's own NIR, 13 characters (key not included): the INS matricule of FHIR patients.</summary>
    public required string Nir { get; init; }

    /// <summary>The NIR's key: 97 − (number mod 97).</summary>
    public required int NirKey { get; init; }

    /// <summary>1 male, 2 female (BEN_SEX_COD).</summary>
    public required int Sex { get; init; }

    public required DateOnly Birth { get; init; }

    public required DateOnly? Death { get; init; }

    public required Departement Departement { get; init; }

    /// <summary>The commune of residence within the département (three digits, BEN_RES_COM).</summary>
    public required string Commune { get; init; }

    /// <summary>ORG_AFF_BEN: the affiliation organisation (régime, caisse).</summary>
    public required string Organisation { get; init; }

    /// <summary>Complementary cover for low incomes (CMU-C / CSS) during the year.</summary>
    public required bool Cmu { get; init; }

    /// <summary>The PS number of the person's general practitioner (médecin traitant).</summary>
    public required string GeneralPractitioner { get; init; }

    /// <summary>When the person entered the beneficiaries' referential (BEN_DTE_INS).</summary>
    public required DateOnly Registered { get; init; }

    /// <summary>The NIR with its key, 15 characters, as an INS-NIR identifier holds it.</summary>
    public string NirWithKey => Nir + NirKey.ToString("D2", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Completed years at <paramref name="date"/>.</summary>
    public int AgeAt(DateOnly date)
    {
        var age = date.Year - Birth.Year;
        if (date.Month < Birth.Month || (date.Month == Birth.Month && date.Day < Birth.Day)) age--;
        return Math.Max(0, age);
    }

    /// <summary>Completed months at <paramref name="date"/>.</summary>
    public int MonthsAt(DateOnly date)
    {
        var months = (date.Year - Birth.Year) * 12 + date.Month - Birth.Month;
        if (date.Day < Birth.Day) months--;
        return Math.Max(0, months);
    }
}
