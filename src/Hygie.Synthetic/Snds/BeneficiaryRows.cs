using Hygie.Synthetic.Cohort;

namespace Hygie.Synthetic.Snds;

/// <summary>IR_BEN_R: one row per person. A living person's death date is empty.</summary>
internal sealed class BeneficiaryRows(int year) : TableRows<BeneficiaryRows.Column>("IR_BEN_R", year)
{
    internal enum Column
    {
        BEN_NIR_PSA, BEN_IDT_ANO, BEN_RNG_GEM, BEN_NIR_ANO, BEN_IDT_TOP, ASS_NIR_ANO, BEN_IDT_MAJ, BEN_CDI_NIR, BEN_NAI_ANN,
        BEN_NAI_MOI, BEN_SEX_COD, BEN_DCD_DTE, BEN_DCD_AME, ORG_AFF_BEN, BEN_RES_DPT, BEN_RES_COM, BEN_TOP_CNS, MAX_TRT_DTD,
        ORG_CLE_NEW, BEN_DTE_INS, BEN_DTE_MAJ,
    }

    public override long Write(CohortMember member, CsvRowWriter w, long max)
    {
        if (max <= 0) return 0;
        var p = member.Person;
        var claims = member.History.Claims;
        var updated = new DateOnly(Year + 1, 1, 10);
        var lastProcessed = claims.Count == 0 ? new DateOnly(Year, 12, 31) : claims.Max(c => c.Processed);
        foreach (var column in Columns)
        {
            switch ((Column)column)
            {
                case Column.BEN_NIR_PSA: w.Text(p.BenNirPsa); break;
                case Column.BEN_IDT_ANO: w.Text(p.BenIdtAno); break;
                case Column.BEN_RNG_GEM: w.Integer(p.BenRngGem); break;
                case Column.BEN_NIR_ANO: w.Text(p.BenNirAno); break;
                case Column.BEN_IDT_TOP: w.Boolean(true); break;
                case Column.ASS_NIR_ANO: w.Text(p.AssNirAno); break;
                case Column.BEN_IDT_MAJ: w.Date(updated, SndsDateFormat.SasDateTime, (int)(p.Index * 7919 % 86400)); break;
                case Column.BEN_CDI_NIR: w.Text("00"); break;
                case Column.BEN_NAI_ANN: w.Integer(p.Birth.Year); break;
                case Column.BEN_NAI_MOI: w.TwoDigits(p.Birth.Month); break;
                case Column.BEN_SEX_COD: w.Integer(p.Sex); break;
                case Column.BEN_DCD_DTE: if (p.Death is { } d) w.Date(d, SndsDateFormat.SasDate); else w.Empty(); break;
                case Column.BEN_DCD_AME: if (p.Death is { } m) w.YearMonth(m); else w.Empty(); break;
                case Column.ORG_AFF_BEN: w.Text(p.Organisation); break;
                case Column.BEN_RES_DPT: w.Text(p.Departement.Code); break;
                case Column.BEN_RES_COM: w.Text(p.Commune); break;
                case Column.BEN_TOP_CNS: w.Boolean(claims.Count > 0); break;
                case Column.MAX_TRT_DTD: w.Date(lastProcessed, SndsDateFormat.Slashed); break;
                case Column.ORG_CLE_NEW: w.Text(p.Organisation); break;
                case Column.BEN_DTE_INS: w.Date(p.Registered, SndsDateFormat.SasDate); break;
                case Column.BEN_DTE_MAJ: w.Date(updated, SndsDateFormat.SasDate); break;
                default: w.Empty(); break;
            }
        }
        w.EndRow();
        return 1;
    }
}
