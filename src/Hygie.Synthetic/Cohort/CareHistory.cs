namespace Hygie.Synthetic.Cohort;

/// <summary>
/// One line of a DCIR claim (<c>ER_PRS_F</c>): a décompte (<see cref="Decompte"/>) holds one or more lines
/// (<see cref="Line"/>); with the flow dates, emitter and organisation they make the DCIR join keys that ER_PHA_F
/// lines repeat.
/// </summary>
public struct ClaimLine
{
    public ActKind Kind;
    public int Nature;
    public DateOnly Start, End;
    public DateOnly? Prescribed;
    public string Executant;
    public string? Prescriber;
    public int Specialty;
    public int Activity;
    public int Quantity;
    public decimal Coefficient;
    public int Rate;
    public long BaseCents, ReimbursedCents, PaidCents, ExcessCents;
    public long Decompte;
    public int Line;
    public int EmitterOrder;
    public DateOnly Disposal, Processed;
    /// <summary>The range of <see cref="CareHistory.Deliveries"/> detailing this line (pharmacy).</summary>
    public int FirstDelivery, DeliveryCount;
}

/// <summary>A medicine delivered by a pharmacy (<c>ER_PHA_F</c>), detail of the claim line at <see cref="Claim"/>.</summary>
public struct Delivery
{
    public int Claim;
    public int Medicine;
    public int Boxes;
    public int Order;
}

/// <summary>A PMSI MCO stay (<c>T_MCOaaB</c> and its chaining row in <c>T_MCOaaC</c>).</summary>
public struct HospitalStay
{
    public string Hospital;
    public string Rsa;
    public DateOnly Entry, Exit;
    /// <summary>Index in <see cref="Nomenclatures.StayReasons"/>, or −1 for a birth stay.</summary>
    public int Reason;
    /// <summary>PMSI entry and exit modes: 8 home, 7 transfer, N birth; exit 9 is death.</summary>
    public char EntryMode, ExitMode;
    public int Number;
    public int BirthWeightGrams;
    public int GestationWeeks;
    /// <summary>The range of <see cref="CareHistory.Diagnoses"/> holding its associated diagnoses.</summary>
    public int FirstDiagnosis, DiagnosisCount;

    public readonly string PrincipalDiagnosis => Reason < 0 ? Nomenclatures.NewbornCim10 : Nomenclatures.StayReasons[Reason].Cim10;
}

/// <summary>What happened to a person during the cohort's year. Reused from one person to the next: copy what you keep.</summary>
public sealed class CareHistory
{
    public List<ClaimLine> Claims { get; } = [];
    public List<Delivery> Deliveries { get; } = [];
    public List<HospitalStay> Stays { get; } = [];

    /// <summary>Associated diagnoses (CIM-10) of the stays, in stay order.</summary>
    public List<string> Diagnoses { get; } = [];

    /// <summary>Indexes in <see cref="Nomenclatures.Chronic"/> of the person's chronic conditions.</summary>
    public List<int> Chronic { get; } = [];

    /// <summary>CépiDc initial cause of death (CIM-10) when the person died during the year.</summary>
    public string? DeathCause { get; set; }

    /// <summary>Place of death (<c>DCD_LIE_COD</c>): 1 home, 2 hospital, 4 retirement home, 5 public road, 6 elsewhere.</summary>
    public int DeathPlace { get; set; }

    /// <summary>A specialist was consulted or the person was in hospital: a clinic would have them as a patient.</summary>
    public bool SeenAtClinic => Stays.Count > 0 || Claims.Exists(c => c.Kind == ActKind.Specialist);

    public void Clear()
    {
        Claims.Clear();
        Deliveries.Clear();
        Stays.Clear();
        Diagnoses.Clear();
        Chronic.Clear();
        DeathCause = null;
        DeathPlace = 0;
    }
}
