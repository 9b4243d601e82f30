using Hygie.Synthetic.Cohort;

namespace Hygie.Synthetic.Snds;

/// <summary>T_MCOaaB: one row per stay (RSA), keyed by ETA_NUM and RSA_NUM, principal diagnosis in CIM-10.</summary>
internal sealed class StayRows(int year) : TableRows<StayRows.Column>("T_MCOaaB", year)
{
    internal enum Column
    {
        ETA_NUM, RSA_NUM, AGE_ANN, AGE_GES, AGE_JOU, BDI_COD, BDI_DEP, COD_SEX, DGN_PAL, ENT_MOD, GRG_GHM, NBR_ACT, NBR_DGN,
        NBR_RUM, NBR_SEA, PAS_LIT_DED, POI_NAI, SEJ_NBJ, SOR_ANN, SOR_MOD, SOR_MOI, TYP_GEN_RSA, UHCD_TOP,
    }

    public override long Write(CohortMember member, CsvRowWriter w, long max)
    {
        var p = member.Person;
        var h = member.History;
        long written = 0;
        for (var i = 0; i < h.Stays.Count && written < max; i++, written++)
        {
            var s = h.Stays[i];
            var reason = s.Reason >= 0 ? Nomenclatures.StayReasons[s.Reason] : null;
            var age = p.AgeAt(s.Entry);
            foreach (var column in Columns)
            {
                switch ((Column)column)
                {
                    case Column.ETA_NUM: w.Text(s.Hospital); break;
                    case Column.RSA_NUM: w.Text(s.Rsa); break;
                    case Column.AGE_ANN: w.Integer(age); break;
                    case Column.AGE_GES: if (s.GestationWeeks > 0) w.Integer(s.GestationWeeks); else w.Empty(); break;
                    case Column.AGE_JOU: if (age == 0) w.Integer(s.Entry.DayNumber - p.Birth.DayNumber); else w.Empty(); break;
                    case Column.BDI_COD: w.Text(p.Departement.PostalCode); break;
                    case Column.BDI_DEP: w.Text(p.Departement.Pmsi); break;
                    case Column.COD_SEX: w.Integer(p.Sex); break;
                    case Column.DGN_PAL: w.Text(s.PrincipalDiagnosis); break;
                    case Column.ENT_MOD: w.Char(s.EntryMode); break;
                    case Column.GRG_GHM: w.Text(reason?.Ghm ?? "15M05A"); break;
                    case Column.NBR_ACT: w.Integer(reason?.ProcedureSnomed is null ? 0 : 1); break;
                    case Column.NBR_DGN: w.Integer(1 + s.DiagnosisCount); break;
                    case Column.NBR_RUM: w.Integer(1); break;
                    case Column.NBR_SEA: w.Integer(reason?.Cim10 == "Z511" ? 1 : 0); break;
                    case Column.PAS_LIT_DED: w.Boolean(false); break;
                    case Column.POI_NAI: if (s.BirthWeightGrams > 0) w.Integer(s.BirthWeightGrams); else w.Empty(); break;
                    case Column.SEJ_NBJ: w.Integer(s.Exit.DayNumber - s.Entry.DayNumber); break;
                    case Column.SOR_ANN: w.Integer(s.Exit.Year); break;
                    case Column.SOR_MOD: w.Char(s.ExitMode); break;
                    case Column.SOR_MOI: w.TwoDigits(s.Exit.Month); break;
                    case Column.TYP_GEN_RSA: w.Integer(0); break;
                    case Column.UHCD_TOP: w.Boolean(false); break;
                    default: w.Empty(); break;
                }
            }
            w.EndRow();
        }
        return written;
    }
}

/// <summary>
/// T_MCOaaC: the chaining of each stay to its person — NIR_ANO_17 is the person's BEN_NIR_PSA — with the dates of
/// the stay and the chaining checks, all passed (<c>0</c> / <c>False</c>), as a researcher filters them.
/// </summary>
internal sealed class StayPersonRows(int year) : TableRows<StayPersonRows.Column>("T_MCOaaC", year)
{
    internal enum Column
    {
        NIR_ANO_17, ETA_NUM, RSA_NUM, COH_NAI_RET, COH_SEX_RET, DAT_RET, ENT_DAT, ETA_NUM_RET, EXE_SOI_AMD, EXE_SOI_AMF,
        EXE_SOI_DTD, EXE_SOI_DTF, FHO_RET, HOS_NNE_RET, HOS_ORG_RET, NAI_RET, NIR_RET, NUM_DAT_AT_RET, ORG_CPL_NUM_RET, PMS_RET,
        RNG_BEN, RNG_BEN_RET, RNG_NAI, RNG_NAI_RET, SEJ_MER_RET, SEJ_NUM, SEJ_RET, SEX_RET, SOR_ANN, SOR_DAT, SOR_MOI, ENT_AM,
        SOR_AM,
    }

    public override long Write(CohortMember member, CsvRowWriter w, long max)
    {
        var p = member.Person;
        var h = member.History;
        long written = 0;
        for (var i = 0; i < h.Stays.Count && written < max; i++, written++)
        {
            var s = h.Stays[i];
            foreach (var column in Columns)
            {
                switch ((Column)column)
                {
                    case Column.NIR_ANO_17: w.Text(p.BenNirPsa); break;
                    case Column.ETA_NUM: w.Text(s.Hospital); break;
                    case Column.RSA_NUM: w.Text(s.Rsa); break;
                    case Column.DAT_RET or Column.NAI_RET: w.Char('0'); break;
                    case Column.COH_NAI_RET or Column.COH_SEX_RET or Column.ETA_NUM_RET or Column.FHO_RET or Column.HOS_NNE_RET
                        or Column.HOS_ORG_RET or Column.NIR_RET or Column.NUM_DAT_AT_RET or Column.ORG_CPL_NUM_RET or Column.PMS_RET
                        or Column.RNG_BEN_RET or Column.RNG_NAI_RET or Column.SEJ_MER_RET or Column.SEJ_RET or Column.SEX_RET:
                        w.Boolean(false);
                        break;
                    case Column.ENT_DAT: w.Date(s.Entry, SndsDateFormat.Compact); break;
                    case Column.SOR_DAT: w.Date(s.Exit, SndsDateFormat.Compact); break;
                    case Column.EXE_SOI_AMD or Column.ENT_AM: w.YearMonth(s.Entry); break;
                    case Column.EXE_SOI_AMF or Column.SOR_AM: w.YearMonth(s.Exit); break;
                    case Column.EXE_SOI_DTD: w.Date(s.Entry, SndsDateFormat.Slashed); break;
                    case Column.EXE_SOI_DTF: w.Date(s.Exit, SndsDateFormat.Slashed); break;
                    case Column.RNG_BEN: w.Integer(p.BenRngGem); break;
                    case Column.RNG_NAI: w.Integer(1); break;
                    case Column.SEJ_NUM: w.Integer(s.Number); break;
                    case Column.SOR_ANN: w.Integer(s.Exit.Year); break;
                    case Column.SOR_MOI: w.TwoDigits(s.Exit.Month); break;
                    default: w.Empty(); break;
                }
            }
            w.EndRow();
        }
        return written;
    }
}

/// <summary>T_MCOaaD: the associated diagnoses of each stay (the person's chronic conditions), numbered from 1.</summary>
internal sealed class StayDiagnosisRows(int year) : TableRows<StayDiagnosisRows.Column>("T_MCOaaD", year)
{
    internal enum Column { ETA_NUM, RSA_NUM, ASS_DGN, DGN_ASS_NUM }

    public override long Write(CohortMember member, CsvRowWriter w, long max)
    {
        var h = member.History;
        long written = 0;
        foreach (var s in h.Stays)
        {
            for (var k = 0; k < s.DiagnosisCount && written < max; k++, written++)
            {
                foreach (var column in Columns)
                {
                    switch ((Column)column)
                    {
                        case Column.ETA_NUM: w.Text(s.Hospital); break;
                        case Column.RSA_NUM: w.Text(s.Rsa); break;
                        case Column.ASS_DGN: w.Text(h.Diagnoses[s.FirstDiagnosis + k]); break;
                        case Column.DGN_ASS_NUM: w.Integer(k + 1); break;
                        default: w.Empty(); break;
                    }
                }
                w.EndRow();
            }
        }
        return written;
    }
}
