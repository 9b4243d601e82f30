using Hygie.Synthetic.Cohort;

namespace Hygie.Synthetic.Snds;

/// <summary>
/// ER_PRS_F: one row per claim line, with the beneficiary's attributes at the time of care. As the DCIR does, a living
/// person's death date is the 1600-01-01 sentinel (and its month 160001), not an empty cell. The columns that usual
/// quality filters test (<c>DPN_QLF</c>, <c>PRS_DPN_QLP</c>, <c>CPL_MAJ_TOP</c>, <c>CPL_AFF_COD</c>) are filled.
/// </summary>
internal sealed class ClaimRows(int year) : TableRows<ClaimRows.Column>("ER_PRS_F", year)
{
    internal enum Column
    {
        BEN_NIR_PSA, BEN_RNG_GEM, FLX_EMT_TYP, FLX_EMT_NUM, REM_TYP_AFF, FLX_EMT_ORD, PFS_EXE_NUM, FLX_TRT_DTD, DCT_ORD_NUM,
        PRS_ORD_NUM, FLX_DIS_DTD, PFS_PRE_NUM, ORG_CLE_NUM, PRS_MTT_NUM, BEN_AMA_COD, BEN_CDI_NIR, BEN_CMU_TOP, BEN_DCD_AME,
        BEN_DCD_DTE, BEN_NAI_ANN, BEN_RES_COM, BEN_RES_DPT, BEN_SEX_COD, ORG_AFF_BEN, PRS_REJ_TOP, EXE_SOI_AMD, EXE_SOI_AMF,
        EXE_SOI_DTD, EXE_SOI_DTF, PRE_PRE_AMD, PRE_PRE_DTD, BSE_REM_BSE, BSE_REM_MNT, BSE_REM_PRU, BSE_REM_SGN, PRS_ACT_CFT,
        PRS_ACT_NBR, PRS_ACT_QTE, PRS_DEP_MNT, PRS_PAI_MNT, RGO_REM_TAU, BSE_PRS_NAT, CPL_AFF_COD, CPL_MAJ_TOP, CPL_PRS_NAT,
        DPN_QLF, PRS_DPN_QLP, ORG_CLE_NEW, PRS_NAT_REF, RGO_ASU_NAT, PSE_ACT_NAT, PSE_SPE_COD, PSP_SPE_COD,
    }

    private static readonly DateOnly Sentinel = new(1600, 1, 1);

    /// <summary>The flow emitter: one per caisse, 1 to 20.</summary>
    internal static int Emitter(SyntheticPerson p) => int.Parse(p.Departement.Caisse, System.Globalization.CultureInfo.InvariantCulture) % 20 + 1;

    public override long Write(CohortMember member, CsvRowWriter w, long max)
    {
        var p = member.Person;
        var claims = member.History.Claims;
        var emitter = Emitter(p);
        long written = 0;
        for (var i = 0; i < claims.Count && written < max; i++, written++)
        {
            var c = claims[i];
            foreach (var column in Columns)
            {
                switch ((Column)column)
                {
                    case Column.BEN_NIR_PSA: w.Text(p.BenNirPsa); break;
                    case Column.BEN_RNG_GEM: w.Integer(p.BenRngGem); break;
                    case Column.FLX_EMT_TYP: w.Integer(1); break;
                    case Column.FLX_EMT_NUM: w.Integer(emitter); break;
                    case Column.REM_TYP_AFF: w.Integer(1); break;
                    case Column.FLX_EMT_ORD: w.Integer(c.EmitterOrder); break;
                    case Column.PFS_EXE_NUM: w.Text(c.Executant); break;
                    case Column.FLX_TRT_DTD: w.Date(c.Processed, SndsDateFormat.Slashed); break;
                    case Column.DCT_ORD_NUM: w.Integer(c.Decompte); break;
                    case Column.PRS_ORD_NUM: w.Integer(c.Line); break;
                    case Column.FLX_DIS_DTD: w.Date(c.Disposal, SndsDateFormat.Slashed); break;
                    case Column.PFS_PRE_NUM: if (c.Prescriber is { } pre) w.Text(pre); else w.Empty(); break;
                    case Column.ORG_CLE_NUM: w.Text(p.Organisation); break;
                    case Column.PRS_MTT_NUM: w.Text(p.GeneralPractitioner); break;
                    case Column.BEN_AMA_COD: w.Integer(p.AgeAt(c.Start) < 2 ? 1000 + p.MonthsAt(c.Start) : p.AgeAt(c.Start)); break;
                    case Column.BEN_CDI_NIR: w.Text("00"); break;
                    case Column.BEN_CMU_TOP: w.Boolean(p.Cmu); break;
                    case Column.BEN_DCD_AME: w.YearMonth(p.Death ?? Sentinel); break;
                    case Column.BEN_DCD_DTE: w.Date(p.Death ?? Sentinel, SndsDateFormat.SasDateTime); break;
                    case Column.BEN_NAI_ANN: w.Integer(p.Birth.Year); break;
                    case Column.BEN_RES_COM: w.Text(p.Commune); break;
                    case Column.BEN_RES_DPT: w.Text(p.Departement.Code); break;
                    case Column.BEN_SEX_COD: w.Integer(p.Sex); break;
                    case Column.ORG_AFF_BEN: w.Text(p.Organisation); break;
                    case Column.PRS_REJ_TOP: w.Boolean(false); break;
                    case Column.EXE_SOI_AMD: w.YearMonth(c.Start); break;
                    case Column.EXE_SOI_AMF: w.YearMonth(c.End); break;
                    case Column.EXE_SOI_DTD: w.Date(c.Start, SndsDateFormat.Slashed); break;
                    case Column.EXE_SOI_DTF: w.Date(c.End, SndsDateFormat.Slashed); break;
                    case Column.PRE_PRE_AMD: if (c.Prescribed is { } pm) w.YearMonth(pm); else w.Empty(); break;
                    case Column.PRE_PRE_DTD: if (c.Prescribed is { } pd) w.Date(pd, SndsDateFormat.Slashed); else w.Empty(); break;
                    case Column.BSE_REM_BSE: w.Amount(c.BaseCents); break;
                    case Column.BSE_REM_MNT: w.Amount(c.ReimbursedCents); break;
                    case Column.BSE_REM_PRU: w.Amount(c.Quantity > 0 ? c.BaseCents / c.Quantity : c.BaseCents); break;
                    case Column.BSE_REM_SGN: w.Integer(1); break;
                    case Column.PRS_ACT_CFT: w.Number(c.Coefficient); break;
                    case Column.PRS_ACT_NBR: w.Integer(1); break;
                    case Column.PRS_ACT_QTE: w.Integer(c.Quantity); break;
                    case Column.PRS_DEP_MNT: w.Amount(c.ExcessCents); break;
                    case Column.PRS_PAI_MNT: w.Amount(c.PaidCents); break;
                    case Column.RGO_REM_TAU: w.Integer(c.Rate); break;
                    case Column.BSE_PRS_NAT: w.Integer(c.Nature); break;
                    case Column.CPL_AFF_COD: w.Integer(0); break;
                    case Column.CPL_MAJ_TOP: w.Boolean(false); break;
                    case Column.CPL_PRS_NAT: w.Integer(0); break;
                    case Column.DPN_QLF: w.Integer(0); break;
                    case Column.PRS_DPN_QLP: w.Integer(0); break;
                    case Column.ORG_CLE_NEW: w.Text(p.Organisation); break;
                    case Column.PRS_NAT_REF: w.Integer(c.Nature); break;
                    case Column.RGO_ASU_NAT: w.Integer(10); break;
                    case Column.PSE_ACT_NAT: if (c.Activity > 0) w.Integer(c.Activity); else w.Empty(); break;
                    case Column.PSE_SPE_COD: if (c.Specialty > 0) w.Integer(c.Specialty); else w.Empty(); break;
                    case Column.PSP_SPE_COD: if (c.Prescriber is not null) w.Integer(Nomenclatures.GeneralPractice.Code); else w.Empty(); break;
                    default: w.Empty(); break;
                }
            }
            w.EndRow();
        }
        return written;
    }
}
