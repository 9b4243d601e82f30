using Hygie.Synthetic.Cohort;

namespace Hygie.Synthetic.Snds;

/// <summary>
/// ER_PHA_F: one row per medicine delivered, joined to its ER_PRS_F line by the nine DCIR keys (FLX_DIS_DTD,
/// FLX_TRT_DTD, FLX_EMT_TYP, FLX_EMT_NUM, FLX_EMT_ORD, ORG_CLE_NUM, DCT_ORD_NUM, PRS_ORD_NUM, REM_TYP_AFF).
/// </summary>
internal sealed class PharmacyRows(int year) : TableRows<PharmacyRows.Column>("ER_PHA_F", year)
{
    internal enum Column
    {
        DCT_ORD_NUM, FLX_DIS_DTD, FLX_EMT_NUM, FLX_EMT_ORD, FLX_EMT_TYP, FLX_TRT_DTD, ORG_CLE_NUM, PRS_ORD_NUM, REM_TYP_AFF,
        ORG_CLE_NEW, PHA_ACT_PRU, PHA_ACT_QSN, PHA_IDE_CPL, PHA_ORD_NUM, PHA_PRS_C13, PHA_PRS_IDE, PHA_SEQ_RNV, PHA_SUB_MTF,
    }

    public override long Write(CohortMember member, CsvRowWriter w, long max)
    {
        var p = member.Person;
        var h = member.History;
        var emitter = ClaimRows.Emitter(p);
        long written = 0;
        for (var i = 0; i < h.Deliveries.Count && written < max; i++, written++)
        {
            var d = h.Deliveries[i];
            var c = h.Claims[d.Claim];
            var medicine = Nomenclatures.Medicines[d.Medicine];
            foreach (var column in Columns)
            {
                switch ((Column)column)
                {
                    case Column.DCT_ORD_NUM: w.Integer(c.Decompte); break;
                    case Column.FLX_DIS_DTD: w.Date(c.Disposal, SndsDateFormat.Slashed); break;
                    case Column.FLX_EMT_NUM: w.Integer(emitter); break;
                    case Column.FLX_EMT_ORD: w.Integer(c.EmitterOrder); break;
                    case Column.FLX_EMT_TYP: w.Integer(1); break;
                    case Column.FLX_TRT_DTD: w.Date(c.Processed, SndsDateFormat.Slashed); break;
                    case Column.ORG_CLE_NUM: w.Text(p.Organisation); break;
                    case Column.PRS_ORD_NUM: w.Integer(c.Line); break;
                    case Column.REM_TYP_AFF: w.Integer(1); break;
                    case Column.ORG_CLE_NEW: w.Text(p.Organisation); break;
                    case Column.PHA_ACT_PRU: w.Amount(medicine.PriceCents); break;
                    case Column.PHA_ACT_QSN: w.Integer(d.Boxes); break;
                    case Column.PHA_IDE_CPL: w.Integer(0); break;
                    case Column.PHA_ORD_NUM: w.Integer(d.Order); break;
                    case Column.PHA_PRS_C13: w.Text(medicine.Cip13); break;
                    case Column.PHA_PRS_IDE: w.Text(medicine.Cip7); break;
                    case Column.PHA_SEQ_RNV: w.Integer(0); break;
                    case Column.PHA_SUB_MTF: w.Integer(0); break;
                    default: w.Empty(); break;
                }
            }
            w.EndRow();
        }
        return written;
    }
}
