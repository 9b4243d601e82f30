using Hygie.Synthetic.Cohort;

namespace Hygie.Synthetic.Snds;

/// <summary>
/// KI_CCI_R: one death certificate per person who died during the year, keyed by the person's BEN_IDT_ANO, with the
/// initial cause (CIM-10) and the place of death; a death in hospital matches the stay that ended that day.
/// </summary>
internal sealed class DeathRows(int year) : TableRows<DeathRows.Column>("KI_CCI_R", year)
{
    internal enum Column
    {
        BEN_IDT_ANO, DCD_IDT_ENC, DCD_IDT_TOP, BEN_IDT_TOP, BEN_NIR_ANO, FLX_PER_ANN, CER_VER_NUM, TYP_CER_COD, DCD_DPT_COD,
        DCD_COM_COD, BEN_RES_DPT, BEN_RES_COM, BEN_DCD_DTE, BEN_DCD_AME, DCD_LIE_COD, BEN_NAI_ANN, BEN_NAI_MOI, BEN_SEX_COD,
        DCD_CIM_COD,
    }

    public override long Write(CohortMember member, CsvRowWriter w, long max)
    {
        var p = member.Person;
        if (max <= 0 || p.Death is not { } death) return 0;
        foreach (var column in Columns)
        {
            switch ((Column)column)
            {
                case Column.BEN_IDT_ANO: w.Text(p.BenIdtAno); break;
                case Column.DCD_IDT_ENC: w.Text(CertificateId(p)); break;
                case Column.DCD_IDT_TOP or Column.BEN_IDT_TOP: w.Boolean(true); break;
                case Column.BEN_NIR_ANO: w.Text(p.BenNirAno); break;
                case Column.FLX_PER_ANN: w.Integer(death.Year); break;
                case Column.CER_VER_NUM or Column.TYP_CER_COD: w.Integer(1); break;
                case Column.DCD_DPT_COD or Column.BEN_RES_DPT: w.Text(p.Departement.Code); break;
                case Column.DCD_COM_COD or Column.BEN_RES_COM: w.Text(p.Commune); break;
                case Column.BEN_DCD_DTE: w.Date(death, SndsDateFormat.SasDateTime); break;
                case Column.BEN_DCD_AME: w.YearMonth(death); break;
                case Column.DCD_LIE_COD: w.Integer(member.History.DeathPlace); break;
                case Column.BEN_NAI_ANN: w.Integer(p.Birth.Year); break;
                case Column.BEN_NAI_MOI: w.TwoDigits(p.Birth.Month); break;
                case Column.BEN_SEX_COD: w.Integer(p.Sex); break;
                case Column.DCD_CIM_COD: w.Text(member.History.DeathCause ?? "R99"); break;
                default: w.Empty(); break;
            }
        }
        w.EndRow();
        return 1;
    }

    /// <summary>The certificate's encrypted identifier: 64 hexadecimal characters drawn from the person's BEN_IDT_ANO.</summary>
    private static string CertificateId(SyntheticPerson p)
    {
        Span<char> text = stackalloc char[64];
        var hash = 14695981039346656037UL;
        foreach (var c in p.BenIdtAno) hash = (hash ^ c) * 1099511628211UL;
        var r = new SyntheticRandom(hash, (ulong)p.Index, 3);
        for (var i = 0; i < 64; i += 16) r.NextUInt64().TryFormat(text[i..], out _, "x16", System.Globalization.CultureInfo.InvariantCulture);
        return new string(text);
    }
}
