namespace Hygie.Ingest.Schemas;

/// <summary>The SNDS columns that hold person identifiers (pseudonymized by the CNAM or not): their values never appear
/// in an error, a log line or a report.</summary>
public static class IdentifierColumns
{
    private static readonly HashSet<string> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        "BEN_NIR_PSA", "NIR_ANO_17", "BEN_NIR_ANO", "BEN_IDT_ANO", "ASS_NIR_ANO", "NIR_ANO_MAM", "DCD_IDT_ENC",
        "BEN_NIR_IDT", "BEN_NIR", "NIR", "INS", "NUM_ENQ", "ID_PATIENT", "PATIENT_ID", "NIR_ANO", "BEN_NIR_OPP",
    };

    public static bool IsIdentifier(string column) => Names.Contains(column);
}
