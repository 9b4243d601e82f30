using System.Buffers.Text;
using System.Text;

namespace Hygie.Bench;

/// <summary>
/// Writes an ER_PRS_F-shaped extract (DCIR claim lines, the 123 columns of the built-in definition, <c>;</c>-separated)
/// with values shaped as SNDS extracts hold them: a 17-character BEN_NIR_PSA per person (a few hundred thousand
/// persons, some with many more claims than others), BEN_RNG_GEM, dates as <c>dd/MM/yyyy</c> and SAS datetimes, the
/// 1600-01-01 sentinel, act natures (PRS_NAT_REF), amounts with two decimals, codes, flags and many empty cells.
/// Deterministic for a given seed; all synthetic, no real person behind any row.
/// </summary>
public sealed class ClaimsCsv
{
    public const int Version = 1; // bump when the shape changes: cached files are named after it

    // Common act natures (PRS_NAT_REF) with their weights: consultations and pharmacy dominate, as in the DCIR.
    private static readonly (int Code, int Weight)[] Natures =
    [
        (1111, 30), (1112, 8), (1113, 3), (1114, 2), (1211, 4), (1318, 2), (1321, 3), (1331, 2), (1351, 2), (1401, 2),
        (3111, 6), (3112, 5), (3113, 3), (3117, 2), (3311, 5), (3312, 2), (3317, 8), (3324, 2), (3330, 2), (3334, 3),
        (4111, 3), (4211, 2), (4301, 1), (6111, 2), (9301, 1), (2252, 1), (1191, 1), (1192, 1), (1911, 1), (1611, 1),
    ];

    private static readonly string[] Departements =
    [
        "001", "002", "006", "011", "013", "014", "017", "021", "025", "029", "031", "033", "034", "035", "038", "044",
        "045", "049", "051", "054", "056", "057", "059", "060", "062", "063", "064", "067", "068", "069", "072", "074",
        "075", "076", "077", "078", "080", "083", "084", "085", "086", "087", "091", "092", "093", "094", "095", "971",
        "972", "974", "02A", "02B",
    ];

    private static readonly string[] Months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

    private readonly int _persons;
    private readonly int[] _natureTable;
    private readonly byte[][] _nirs;
    private readonly Person[] _people;
    private ulong _state;

    private readonly record struct Person(int Rank, int BirthYear, int Sex, int Departement, int Commune, int Organism, bool Deceased, int DeathDay);

    public ClaimsCsv(int persons, ulong seed = 20260601)
    {
        _persons = persons;
        _state = seed | 1;
        _natureTable = Natures.SelectMany(n => Enumerable.Repeat(n.Code, n.Weight)).ToArray();
        _nirs = new byte[persons][];
        _people = new Person[persons];
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        for (var p = 0; p < persons; p++)
        {
            var nir = new byte[17];
            for (var k = 0; k < nir.Length; k++) nir[k] = (byte)alphabet[(int)(Next() % (ulong)alphabet.Length)];
            _nirs[p] = nir;
            var deceased = Next() % 50 == 0;
            _people[p] = new Person(Next() % 40 == 0 ? 2 : 1, 1930 + (int)(Next() % 90), 1 + (int)(Next() % 2), (int)(Next() % (ulong)Departements.Length),
                1 + (int)(Next() % 400), (int)(Next() % 120), deceased, deceased ? 16436 + (int)(Next() % 3650) : 0);
        }
    }

    public static IReadOnlyList<string> Header { get; } =
    [
        "BEN_NIR_PSA", "BEN_RNG_GEM", "FLX_EMT_TYP", "FLX_EMT_NUM", "REM_TYP_AFF", "FLX_EMT_ORD", "PFS_EXE_NUM", "ETB_PRE_FIN", "FLX_TRT_DTD",
        "DCT_ORD_NUM", "PRS_ORD_NUM", "FLX_DIS_DTD", "PFS_PRE_NUM", "ORG_CLE_NUM", "PRS_MTT_NUM", "BEN_AMA_COD", "BEN_CDI_NIR", "BEN_CMU_CAT",
        "BEN_CMU_ORG", "BEN_CMU_TOP", "BEN_DCD_AME", "BEN_DCD_DTE", "BEN_EHP_TOP", "BEN_IAT_CAT", "BEN_NAI_ANN", "BEN_PAI_CMU", "BEN_QAF_COD",
        "BEN_RES_COM", "BEN_RES_DPT", "BEN_SEX_COD", "ORG_AFF_BEN", "PRS_REJ_TOP", "EXE_SOI_AMD", "EXE_SOI_AMF", "EXE_SOI_DTD", "EXE_SOI_DTF",
        "PRE_PRE_AMD", "PRE_PRE_DTD", "PRS_GRS_DTD", "PRS_HOS_AMD", "PRS_HOS_DTD", "BSE_REM_BSE", "BSE_REM_MNT", "BSE_REM_PRU", "BSE_REM_SGN",
        "CPL_REM_BSE", "CPL_REM_MNT", "CPL_REM_PRU", "CPL_REM_SGN", "PRS_ACT_CFT", "PRS_ACT_COG", "PRS_ACT_NBR", "PRS_ACT_QTE", "PRS_DEP_MNT",
        "PRS_ETA_RAC", "PRS_PAI_MNT", "RGO_MOD_MNT", "ORB_BSE_NUM", "ORL_BSE_NUM", "RGM_COD", "RGM_GRG_COD", "ACC_TIE_IND", "BSE_FJH_TYP",
        "BSE_PRS_NAT", "CPL_AFF_COD", "CPL_ANO_COD", "CPL_FJH_TYP", "CPL_MAJ_TOP", "CPL_PRS_NAT", "DPN_QLF", "DRG_MOD", "DRG_NAT", "EXE_LIE_COD",
        "EXO_MTF", "IJR_EMP_NUM", "IJR_RVL_NAT", "MTM_NAT", "ORG_CLE_NEW", "PRE_REN_COD", "PRS_CRD_OPT", "PRS_DPN_QLP", "PRS_NAT_REF",
        "PRS_OPS_TRF", "PRS_PDS_QCP", "PRS_PDS_QTP", "PRS_PPF_COD", "PRS_PRE_MTT", "PRS_REF_KIN", "PRS_TOP_ENP", "PRS_TYP_KIN", "RGO_ASU_NAT",
        "RGO_ENV_TYP", "RGO_FTA_COD", "RGO_MIN_TAU", "RGO_REM_TAU", "RGO_THE_TAU", "PSE_ACT_NAT", "PSE_CNV_COD", "PSE_REF_ADH", "PSE_SPE_COD",
        "PSE_STJ_COD", "PSP_ACT_NAT", "PSP_CNV_COD", "PSP_PPS_NUM", "PSP_REF_ADH", "PSP_SPE_COD", "PSP_STJ_COD", "PSP_SVI_PPS", "BEN_DRT_SPF",
        "BEN_ACS_TOP", "EXE_CTX_PFS", "PRS_TYP_MAJ", "EXE_CTX_BEN", "CPL_FTA_COD", "PRS_PPU_SEC", "BEN_CTA_TYP", "PRS_DRA_AME", "DRG_AFF_NAT",
        "PRS_MNT_MAJ", "PRE_IND_PEL", "PRS_DIS_PRE", "CPL_REM_TAU", "PRS_QTT_MAJ",
    ];

    /// <summary>The act natures the query scenario filters on: GP and specialist consultations.</summary>
    public static readonly int[] ConsultationNatures = [1111, 1112];

    /// <summary>Writes <paramref name="rows"/> rows (header first) to <paramref name="path"/>; returns the bytes written.</summary>
    public long Write(string path, long rows)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        var header = Encoding.ASCII.GetBytes(string.Join(';', Header) + "\n");
        file.Write(header);
        var buffer = new byte[4 << 20];
        var at = 0;
        for (long r = 0; r < rows; r++)
        {
            if (at > buffer.Length - 4096)
            {
                file.Write(buffer, 0, at);
                at = 0;
            }
            at += Row(buffer.AsSpan(at));
        }
        file.Write(buffer, 0, at);
        return file.Length;
    }

    private ulong Next()
    {
        // xorshift64*: fast and good enough for synthetic data
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        return _state * 2685821657736338717UL;
    }

    private int Below(int n) => (int)(Next() % (ulong)n);

    /// <summary>A person, skewed: a tenth of the persons make about half the claims.</summary>
    private int PickPerson() => Below(2) == 0 ? Below(Math.Max(1, _persons / 10)) : Below(_persons);

    private int Row(Span<byte> o)
    {
        var w = new RowWriter(o);
        var pi = PickPerson();
        var p = _people[pi];
        var care = 16436 + Below(3650);                 // 2015-01-01 .. 2024-12-30, in days since 1970
        var careEnd = care + (Below(4) == 0 ? Below(5) : 0);
        var flow = FirstOfNextMonth(care);
        var nature = _natureTable[Below(_natureTable.Length)];
        var pharmacy = nature / 1000 == 3;
        var fee = pharmacy ? 2 + Below(12000) / 100.0 : nature is 1111 ? 26.5 : 30 + Below(7000) / 100.0;
        var rate = Below(10) == 0 ? 100 : pharmacy ? 65 : 70;
        var paid = Math.Round(fee * rate / 100.0, 2);
        var quantity = pharmacy ? 1 + Below(3) : 1;
        var practitioner = 100_000_000 + Below(60_000) * 7919 % 900_000_000;

        w.Bytes(_nirs[pi]); w.Sep();                                // BEN_NIR_PSA
        w.Int(p.Rank); w.Sep();                                     // BEN_RNG_GEM
        w.Int(1 + Below(3)); w.Sep();                               // FLX_EMT_TYP
        w.Int(Below(100)); w.Sep();                                 // FLX_EMT_NUM
        w.Int(Below(3)); w.Sep();                                   // REM_TYP_AFF
        w.Int(Below(10_000)); w.Sep();                              // FLX_EMT_ORD
        w.Int(practitioner); w.Sep();                               // PFS_EXE_NUM
        if (!pharmacy && Below(5) == 0) w.Int(10_000_000 + Below(80_000_000)); w.Sep(); // ETB_PRE_FIN
        w.Date(flow); w.Sep();                                      // FLX_TRT_DTD
        w.Int(Below(1_000_000)); w.Sep();                           // DCT_ORD_NUM
        w.Int(Below(100_000)); w.Sep();                             // PRS_ORD_NUM
        w.Date(flow); w.Sep();                                      // FLX_DIS_DTD
        if (pharmacy || Below(3) == 0) w.Int(100_000_000 + Below(60_000) * 7919 % 900_000_000); w.Sep(); // PFS_PRE_NUM
        w.Organism(p.Organism); w.Sep();                            // ORG_CLE_NUM
        w.Ascii("000000000"); w.Sep();                              // PRS_MTT_NUM
        w.Int(0); w.Sep();                                          // BEN_AMA_COD
        w.Ascii("00"); w.Sep();                                     // BEN_CDI_NIR
        w.Int(Below(8) == 0 ? 1 : 0); w.Sep();                      // BEN_CMU_CAT
        w.Sep();                                                    // BEN_CMU_ORG
        w.Int(Below(8) == 0 ? 1 : 0); w.Sep();                      // BEN_CMU_TOP
        if (p.Deceased) w.YearMonth(p.DeathDay); else w.Ascii("160001"); w.Sep(); // BEN_DCD_AME
        w.DateTime(p.Deceased ? p.DeathDay : SentinelDay); w.Sep(); // BEN_DCD_DTE (SAS datetime)
        w.Int(Below(50) == 0 ? 1 : 0); w.Sep();                     // BEN_EHP_TOP
        w.Sep();                                                    // BEN_IAT_CAT
        w.Int(p.BirthYear); w.Sep();                                // BEN_NAI_ANN
        w.Int(0); w.Sep();                                          // BEN_PAI_CMU
        w.Int(Below(20) == 0 ? 10 : 0); w.Sep();                    // BEN_QAF_COD
        w.Int3(p.Commune); w.Sep();                                 // BEN_RES_COM
        w.Ascii(Departements[p.Departement]); w.Sep();              // BEN_RES_DPT
        w.Int(p.Sex); w.Sep();                                      // BEN_SEX_COD
        w.Organism(p.Organism); w.Sep();                            // ORG_AFF_BEN
        w.Int(0); w.Sep();                                          // PRS_REJ_TOP
        w.YearMonth(care); w.Sep();                                 // EXE_SOI_AMD
        w.YearMonth(careEnd); w.Sep();                              // EXE_SOI_AMF
        w.Date(care); w.Sep();                                      // EXE_SOI_DTD
        w.Date(careEnd); w.Sep();                                   // EXE_SOI_DTF
        if (pharmacy) w.YearMonth(care - Below(30)); else w.Ascii("160001"); w.Sep(); // PRE_PRE_AMD
        w.Date(pharmacy ? care - Below(30) : SentinelDay); w.Sep(); // PRE_PRE_DTD
        w.Date(SentinelDay); w.Sep();                               // PRS_GRS_DTD
        w.Ascii("160001"); w.Sep();                                 // PRS_HOS_AMD
        w.Date(SentinelDay); w.Sep();                               // PRS_HOS_DTD
        w.Money(fee); w.Sep();                                      // BSE_REM_BSE
        w.Money(paid); w.Sep();                                     // BSE_REM_MNT
        w.Money(fee / quantity); w.Sep();                           // BSE_REM_PRU
        w.Int(1); w.Sep();                                          // BSE_REM_SGN
        w.Money(0); w.Sep();                                        // CPL_REM_BSE
        w.Money(0); w.Sep();                                        // CPL_REM_MNT
        w.Money(0); w.Sep();                                        // CPL_REM_PRU
        w.Int(0); w.Sep();                                          // CPL_REM_SGN
        w.Money(1); w.Sep();                                        // PRS_ACT_CFT
        w.Money(1); w.Sep();                                        // PRS_ACT_COG
        w.Int(1); w.Sep();                                          // PRS_ACT_NBR
        w.Int(quantity); w.Sep();                                   // PRS_ACT_QTE
        w.Money(Below(6) == 0 ? Below(3000) / 100.0 : 0); w.Sep(); // PRS_DEP_MNT
        w.Money(0); w.Sep();                                        // PRS_ETA_RAC
        w.Money(fee); w.Sep();                                      // PRS_PAI_MNT
        w.Money(0); w.Sep();                                        // RGO_MOD_MNT
        w.Sep();                                                    // ORB_BSE_NUM
        w.Sep();                                                    // ORL_BSE_NUM
        w.Int(Below(10) == 0 ? 2 : 1); w.Sep();                     // RGM_COD
        w.Int(1); w.Sep();                                          // RGM_GRG_COD
        w.Int(0); w.Sep();                                          // ACC_TIE_IND
        w.Int(0); w.Sep();                                          // BSE_FJH_TYP
        w.Int(nature); w.Sep();                                     // BSE_PRS_NAT
        w.Int(0); w.Sep();                                          // CPL_AFF_COD
        w.Int(0); w.Sep();                                          // CPL_ANO_COD
        w.Int(0); w.Sep();                                          // CPL_FJH_TYP
        w.Int(0); w.Sep();                                          // CPL_MAJ_TOP
        w.Int(0); w.Sep();                                          // CPL_PRS_NAT
        w.Int(0); w.Sep();                                          // DPN_QLF
        w.Int(0); w.Sep();                                          // DRG_MOD
        w.Int(0); w.Sep();                                          // DRG_NAT
        w.Int(pharmacy ? 0 : 1 + Below(3)); w.Sep();                // EXE_LIE_COD
        w.Int(Below(5) == 0 ? 41 : 0); w.Sep();                     // EXO_MTF
        w.Sep();                                                    // IJR_EMP_NUM
        w.Sep();                                                    // IJR_RVL_NAT
        w.Int(0); w.Sep();                                          // MTM_NAT
        w.Organism(p.Organism); w.Sep();                            // ORG_CLE_NEW
        w.Int(0); w.Sep();                                          // PRE_REN_COD
        w.Int(0); w.Sep();                                          // PRS_CRD_OPT
        w.Int(0); w.Sep();                                          // PRS_DPN_QLP
        w.Int(nature); w.Sep();                                     // PRS_NAT_REF
        w.Int(0); w.Sep();                                          // PRS_OPS_TRF
        w.Int(0); w.Sep();                                          // PRS_PDS_QCP
        w.Int(0); w.Sep();                                          // PRS_PDS_QTP
        w.Sep();                                                    // PRS_PPF_COD
        w.Int(0); w.Sep();                                          // PRS_PRE_MTT
        w.Sep();                                                    // PRS_REF_KIN
        w.Int(0); w.Sep();                                          // PRS_TOP_ENP
        w.Sep();                                                    // PRS_TYP_KIN
        w.Int(10); w.Sep();                                         // RGO_ASU_NAT
        w.Int(0); w.Sep();                                          // RGO_ENV_TYP
        w.Int(0); w.Sep();                                          // RGO_FTA_COD
        w.Money(rate); w.Sep();                                     // RGO_MIN_TAU
        w.Money(rate); w.Sep();                                     // RGO_REM_TAU
        w.Money(rate); w.Sep();                                     // RGO_THE_TAU
        w.Int(pharmacy ? 0 : 1 + Below(3)); w.Sep();                // PSE_ACT_NAT
        w.Int(1); w.Sep();                                          // PSE_CNV_COD
        w.Sep();                                                    // PSE_REF_ADH
        w.Int(pharmacy ? 50 : 1 + Below(80)); w.Sep();              // PSE_SPE_COD
        w.Int(1); w.Sep();                                          // PSE_STJ_COD
        w.Int(0); w.Sep();                                          // PSP_ACT_NAT
        w.Int(0); w.Sep();                                          // PSP_CNV_COD
        w.Sep();                                                    // PSP_PPS_NUM
        w.Sep();                                                    // PSP_REF_ADH
        w.Int(0); w.Sep();                                          // PSP_SPE_COD
        w.Int(0); w.Sep();                                          // PSP_STJ_COD
        w.Int(0); w.Sep();                                          // PSP_SVI_PPS
        w.Sep();                                                    // BEN_DRT_SPF
        w.Int(0); w.Sep();                                          // BEN_ACS_TOP
        w.Ascii("0000"); w.Sep();                                   // EXE_CTX_PFS
        w.Sep();                                                    // PRS_TYP_MAJ
        w.Ascii("0000"); w.Sep();                                   // EXE_CTX_BEN
        w.Int(0); w.Sep();                                          // CPL_FTA_COD
        w.Int(0); w.Sep();                                          // PRS_PPU_SEC
        w.Int(0); w.Sep();                                          // BEN_CTA_TYP
        w.Ascii("160001"); w.Sep();                                 // PRS_DRA_AME
        w.Int(0); w.Sep();                                          // DRG_AFF_NAT
        w.Money(0); w.Sep();                                        // PRS_MNT_MAJ
        w.Sep();                                                    // PRE_IND_PEL
        w.Sep();                                                    // PRS_DIS_PRE
        w.Money(0); w.Sep();                                        // CPL_REM_TAU
        w.Int(0);                                                   // PRS_QTT_MAJ
        w.Byte((byte)'\n');
        return w.Length;
    }

    private const int SentinelDay = -135140; // 1600-01-01

    private static int FirstOfNextMonth(int day)
    {
        var d = DateOnly.FromDayNumber(day + 719162);
        return new DateOnly(d.Year, d.Month, 1).AddMonths(1).DayNumber - 719162;
    }

    private ref struct RowWriter(Span<byte> o)
    {
        private readonly Span<byte> _o = o;
        public int Length;

        public void Sep() => _o[Length++] = (byte)';';
        public void Byte(byte b) => _o[Length++] = b;
        public void Bytes(ReadOnlySpan<byte> b) { b.CopyTo(_o[Length..]); Length += b.Length; }
        public void Ascii(string s) { for (var i = 0; i < s.Length; i++) _o[Length++] = (byte)s[i]; }

        public void Int(long v)
        {
            Utf8Formatter.TryFormat(v, _o[Length..], out var n);
            Length += n;
        }

        public void Int3(int v)
        {
            _o[Length++] = (byte)('0' + v / 100 % 10);
            _o[Length++] = (byte)('0' + v / 10 % 10);
            _o[Length++] = (byte)('0' + v % 10);
        }

        /// <summary>Two decimals, as amounts are written.</summary>
        public void Money(double v)
        {
            var cents = (long)Math.Round(v * 100);
            Int(cents / 100);
            _o[Length++] = (byte)'.';
            _o[Length++] = (byte)('0' + cents % 100 / 10);
            _o[Length++] = (byte)('0' + cents % 10);
        }

        public void Organism(int index)
        {
            // caisse codes such as 01C751000
            Two(index % 99 + 1);
            _o[Length++] = (byte)'C';
            Int3(700 + index % 100);
            Int3(index * 37 % 1000);
        }

        private static DateOnly Day(int epochDays) => DateOnly.FromDayNumber(epochDays + 719162);

        /// <summary>dd/MM/yyyy, as most DCIR date columns come.</summary>
        public void Date(int epochDays)
        {
            var d = Day(epochDays);
            Two(d.Day); _o[Length++] = (byte)'/'; Two(d.Month); _o[Length++] = (byte)'/'; Four(d.Year);
        }

        /// <summary>ddMMMyyyy:HH:mm:ss (SAS DATETIME20.), midnight.</summary>
        public void DateTime(int epochDays)
        {
            var d = Day(epochDays);
            Two(d.Day); Ascii(Months[d.Month - 1]); Four(d.Year); Ascii(":00:00:00");
        }

        public void YearMonth(int epochDays)
        {
            var d = Day(epochDays);
            Four(d.Year); Two(d.Month);
        }

        private void Two(int v) { _o[Length++] = (byte)('0' + v / 10); _o[Length++] = (byte)('0' + v % 10); }
        private void Four(int v) { Two(v / 100); Two(v % 100); }
    }
}
