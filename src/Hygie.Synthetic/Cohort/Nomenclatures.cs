namespace Hygie.Synthetic.Cohort;

/// <summary>What a claim line pays for: its nature of service (<c>PRS_NAT_REF</c>, IR_NAT_V) and how it is priced.</summary>
public enum ActKind
{
    /// <summary>1111, consultation coded C (general practitioner).</summary>
    GeneralPractitioner,
    /// <summary>1112, consultation coded CS (specialist).</summary>
    Specialist,
    /// <summary>3111, nursing acts coded AMI.</summary>
    Nursing,
    /// <summary>3311 / 3312 / 3313 / 3341: pharmacy at 100 %, 30 %, 65 %, 15 % (detailed in ER_PHA_F).</summary>
    Pharmacy,
    /// <summary>3331, seasonal flu vaccine.</summary>
    FluVaccine,
}

/// <summary>A medical specialty of IR_SPE_V as <c>PSE_SPE_COD</c> carries it.</summary>
public sealed record Specialty(int Code, string Name);

/// <summary>A reimbursed medicine: a synthetic CIP (7 and 13 digits), its ATC class, a box price and its reimbursement rate.</summary>
public sealed record Medicine(string Cip7, string Atc, string Name, long PriceCents, int Rate)
{
    /// <summary>34009 + CIP7 + EAN-13 check digit, as <c>PHA_PRS_C13</c> holds it.</summary>
    public string Cip13 { get; } = WithCheckDigit("34009" + Cip7);

    private static string WithCheckDigit(string twelve)
    {
        var sum = 0;
        for (var i = 0; i < 12; i++) sum += (twelve[i] - '0') * (i % 2 == 0 ? 1 : 3);
        return twelve + (char)('0' + (10 - sum % 10) % 10);
    }
}

/// <summary>
/// A reason for a hospital stay: its principal diagnosis (CIM-10, written without the dot as the PMSI does), who has it,
/// how long the stay lasts, and what it looks like in FHIR (a SNOMED CT procedure for surgical stays).
/// </summary>
public sealed record StayReason(string Cim10, string Label, int MinAge, int MaxAge, int Sex, double Weight, int MinDays, int MaxDays,
    string Ghm, double Lethality, string? ProcedureSnomed = null, string? ProcedureLabel = null)
{
    /// <summary>The ICD-10 code with its dot (<c>I21.4</c>), as FHIR writes it.</summary>
    public string Icd10 => Cim10.Length > 3 ? $"{Cim10[..3]}.{Cim10[3..]}" : Cim10;
}

/// <summary>A chronic condition: its CIM-10 code, prevalence by age and the medicines delivered every month.</summary>
public sealed record ChronicCondition(string Cim10, string Label, int FromAge, double Prevalence, int[] Medicines, string Snomed);

/// <summary>An initial cause of death (CépiDc, CIM-10) with the ages and sex it strikes.</summary>
public sealed record DeathCause(string Cim10, int MinAge, int Sex, double Weight);

/// <summary>The codes the generator draws from. Codes are real nomenclature codes; CIP numbers and GHM are synthetic.</summary>
public static class Nomenclatures
{
    public static int NatureOf(ActKind kind, int rate) => kind switch
    {
        ActKind.GeneralPractitioner => 1111,
        ActKind.Specialist => 1112,
        ActKind.Nursing => 3111,
        ActKind.FluVaccine => 3331,
        _ => rate switch { 100 => 3311, 30 => 3312, 15 => 3341, _ => 3313 },
    };

    public static readonly Specialty GeneralPractice = new(1, "médecine générale");
    public static readonly Specialty Cardiology = new(3, "cardiologie");
    public static readonly Specialty Dermatology = new(5, "dermatologie");
    public static readonly Specialty Gynaecology = new(7, "gynécologie obstétrique");
    public static readonly Specialty Paediatrics = new(12, "pédiatrie");
    public static readonly Specialty Ophthalmology = new(15, "ophtalmologie");
    public static readonly Specialty Psychiatry = new(33, "psychiatrie");

    /// <summary>IR_ACT_V nature of activity of nurses (<c>PSE_ACT_NAT</c>).</summary>
    public const int NurseActivity = 24;

    // 2019 tariffs: C 25 €, CS 23 € + MPC 2 € + MCS 5 €, AMI 3.15 € per coefficient unit, a flu vaccine about 6.50 €.
    public const long ConsultationCents = 2500, SpecialistCents = 3000, AmiUnitCents = 315, FluVaccineCents = 650;
    /// <summary>The flat participation (1 €) kept back from adults' consultations.</summary>
    public const long ParticipationCents = 100;

    public static readonly Medicine[] Medicines =
    [
        new("9000011", "N02BE01", "paracétamol 1 g, 8 comprimés", 195, 65),
        new("9000028", "M01AE01", "ibuprofène 400 mg, 30 comprimés", 285, 65),
        new("9000034", "J01CA04", "amoxicilline 1 g, 6 comprimés", 298, 65),
        new("9000040", "J01CR02", "amoxicilline acide clavulanique 1 g, 8 sachets", 476, 65),
        new("9000057", "A02BC01", "oméprazole 20 mg, 28 gélules", 490, 65),
        new("9000063", "R03AC02", "salbutamol 100 µg, inhalateur", 372, 65),
        new("9000086", "A03AX12", "phloroglucinol 80 mg, 10 comprimés", 220, 30),
        new("9000092", "S01XA20", "larmes artificielles, 10 unidoses", 260, 15),
        new("9000100", "N05BA12", "alprazolam 0,25 mg, 30 comprimés", 155, 65),
        // chronic treatments, delivered monthly (indexes 9 and above)
        new("9000117", "A10BA02", "metformine 1000 mg, 90 comprimés", 668, 65),
        new("9000123", "A10AE04", "insuline glargine, 5 stylos", 6032, 65),
        new("9000146", "C08CA01", "amlodipine 5 mg, 90 gélules", 771, 65),
        new("9000152", "C09AA05", "ramipril 5 mg, 90 gélules", 712, 65),
        new("9000169", "C10AA05", "atorvastatine 20 mg, 90 comprimés", 1845, 65),
        new("9000175", "B01AC06", "acide acétylsalicylique 75 mg, 30 sachets", 302, 65),
        new("9000181", "B01AF01", "rivaroxaban 20 mg, 28 comprimés", 5148, 65),
        new("9000198", "H03AA01", "lévothyroxine 75 µg, 90 comprimés", 453, 65),
        new("9000206", "N06AB10", "escitalopram 10 mg, 28 comprimés", 826, 65),
        new("9000212", "C07AB07", "bisoprolol 5 mg, 90 comprimés", 676, 65),
    ];

    public const int FirstChronicMedicine = 9;

    public static readonly ChronicCondition[] Chronic =
    [
        new("I10", "hypertension artérielle essentielle", 35, 0.28, [11, 12], "38341003"),
        new("E119", "diabète de type 2 sans complication", 40, 0.09, [9, 13], "44054006"),
        new("E039", "hypothyroïdie", 30, 0.04, [16], "40930008"),
        new("I480", "fibrillation auriculaire paroxystique", 60, 0.05, [15, 18], "49436004"),
        new("F329", "épisode dépressif", 18, 0.04, [17], "35489007"),
    ];

    public const string NewbornCim10 = "Z380";

    public static readonly StayReason[] StayReasons =
    [
        new("I214", "infarctus sous-endocardique aigu", 40, 99, 0, 3, 3, 8, "05M041", 0.06, "415070008", "intervention coronaire percutanée"),
        new("I639", "infarctus cérébral", 45, 99, 0, 3, 5, 14, "01M301", 0.10),
        new("I500", "insuffisance cardiaque congestive", 60, 99, 0, 4, 5, 12, "05M092", 0.08),
        new("J189", "pneumopathie, sans précision", 0, 99, 0, 5, 3, 10, "04M053", 0.05),
        new("J441", "BPCO avec exacerbation aiguë", 50, 99, 0, 3, 4, 10, "04M202", 0.04),
        new("N390", "infection des voies urinaires", 0, 99, 0, 4, 2, 6, "11M062", 0.01),
        new("K359", "appendicite aiguë", 5, 60, 0, 3, 2, 4, "06C092", 0.0, "80146002", "appendicectomie"),
        new("K802", "calcul de la vésicule biliaire", 25, 85, 0, 3, 1, 3, "07C142", 0.0, "38102005", "cholécystectomie"),
        new("S720", "fracture du col du fémur", 65, 99, 0, 4, 6, 14, "08C472", 0.05, "52734007", "prothèse totale de hanche"),
        new("M171", "gonarthrose primaire", 50, 90, 0, 3, 3, 7, "08C242", 0.0, "609588000", "prothèse totale du genou"),
        new("H251", "cataracte sénile nucléaire", 55, 99, 0, 5, 0, 0, "02C05J", 0.0, "110473004", "chirurgie de la cataracte"),
        new("C509", "tumeur maligne du sein", 35, 90, 2, 2, 2, 5, "09C041", 0.02, "392021009", "tumorectomie du sein"),
        new("C349", "tumeur maligne des bronches et du poumon", 45, 95, 0, 2, 4, 10, "04M091", 0.15),
        new("C61", "tumeur maligne de la prostate", 50, 99, 1, 2, 3, 6, "12C041", 0.02, "90470006", "prostatectomie"),
        new("Z511", "séance de chimiothérapie", 30, 90, 0, 3, 0, 0, "28Z07Z", 0.0, "367336001", "chimiothérapie"),
        new("O800", "accouchement spontané par le sommet", 18, 44, 2, 8, 2, 5, "14Z14A", 0.0),
        new("O820", "accouchement par césarienne programmée", 20, 44, 2, 3, 4, 6, "14C08A", 0.0, "11466000", "césarienne"),
        new("K529", "gastro-entérite et colite non infectieuses", 0, 99, 0, 3, 1, 3, "06M142", 0.0),
        new("R55", "syncope et collapsus", 15, 99, 0, 2, 1, 3, "05M201", 0.0),
        new("S060", "commotion cérébrale", 0, 99, 0, 2, 1, 2, "01M231", 0.0),
        new("J209", "bronchite aiguë", 0, 5, 0, 3, 2, 4, "04M181", 0.0),
        new("F100", "intoxication alcoolique aiguë", 16, 80, 0, 1, 1, 2, "20Z04Z", 0.0),
    ];

    public static readonly DeathCause[] DeathCauses =
    [
        new("C349", 45, 0, 8), new("C189", 50, 0, 4), new("C509", 40, 2, 4), new("C61", 60, 1, 3), new("C259", 50, 0, 3),
        new("I219", 45, 0, 6), new("I64", 55, 0, 6), new("I500", 70, 0, 6), new("F03", 75, 0, 6), new("G309", 70, 0, 5),
        new("J189", 60, 0, 4), new("J449", 55, 0, 3), new("E149", 55, 0, 2), new("N189", 65, 0, 2), new("R54", 85, 0, 3),
        new("R99", 0, 0, 2), new("X59", 0, 0, 2), new("V892", 15, 0, 1), new("X70", 15, 0, 1), new("P073", 0, 0, 0.2),
    ];
}
