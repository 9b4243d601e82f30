using System.Globalization;
using Hygie.Core.Pseudonymization;
using Hygie.Synthetic.Cohort;

namespace Hygie.Synthetic.Tests;

public sealed class CohortFixture : IAsyncLifetime
{
    public Extract Extract { get; private set; } = null!;

    public async Task InitializeAsync() => Extract = await Extract.GenerateAsync(seed: 20190, persons: 2000);

    public Task DisposeAsync() => Task.CompletedTask;
}

/// <summary>What a researcher relies on in the generated tables, checked on the CSV text itself.</summary>
public sealed class CoherenceTests(CohortFixture fixture) : IClassFixture<CohortFixture>
{
    private Extract X => fixture.Extract;

    private sealed record Life(DateOnly From, DateOnly? Death, string Idt, int Sex);

    /// <summary>BEN_NIR_PSA → the earliest possible birth day (first of the birth month) and the death, from IR_BEN_R.</summary>
    private Dictionary<string, Life> Lives()
    {
        var ben = X.Table("IR_BEN_R");
        int psa = ben.Index("BEN_NIR_PSA"), year = ben.Index("BEN_NAI_ANN"), month = ben.Index("BEN_NAI_MOI"), death = ben.Index("BEN_DCD_DTE"),
            idt = ben.Index("BEN_IDT_ANO"), sex = ben.Index("BEN_SEX_COD"), rank = ben.Index("BEN_RNG_GEM");
        var lives = new Dictionary<string, Life>();
        foreach (var r in ben.Rows)
        {
            Assert.Equal("1", r[rank]);
            Assert.True(lives.TryAdd(r[psa], new Life(new DateOnly(int.Parse(r[year], CultureInfo.InvariantCulture), int.Parse(r[month], CultureInfo.InvariantCulture), 1),
                r[death].Length == 0 ? null : SndsDate.Parse(r[death]), r[idt], int.Parse(r[sex], CultureInfo.InvariantCulture))), "BEN_NIR_PSA is unique in IR_BEN_R");
        }
        return lives;
    }

    [Fact]
    public void Every_person_is_one_beneficiary_and_the_year_has_births_and_deaths()
    {
        var lives = Lives();
        Assert.Equal(2000, lives.Count);
        Assert.Equal(2000, lives.Values.Select(l => l.Idt).Distinct().Count());
        Assert.All(lives.Keys, k => Assert.Matches("^[A-Za-z]{17}$", k));
        var deaths = lives.Values.Count(l => l.Death is not null);
        Assert.InRange(deaths, 5, 80);
        Assert.All(lives.Values.Where(l => l.Death is { } d), l => Assert.Equal(2019, l.Death!.Value.Year));
        Assert.Contains(lives.Values, l => l.From.Year == 2019);
        Assert.InRange(lives.Values.Count(l => l.Sex == 2), 900, 1150);
    }

    [Fact]
    public void Every_claim_belongs_to_a_beneficiary_and_falls_inside_their_life()
    {
        var lives = Lives();
        var prs = X.Table("ER_PRS_F");
        Assert.True(prs.Rows.Count > 20_000, $"{prs.Rows.Count} claim lines for 2000 persons");
        int psa = prs.Index("BEN_NIR_PSA"), start = prs.Index("EXE_SOI_DTD"), end = prs.Index("EXE_SOI_DTF"), prescribed = prs.Index("PRE_PRE_DTD"),
            death = prs.Index("BEN_DCD_DTE"), disposal = prs.Index("FLX_DIS_DTD"), processed = prs.Index("FLX_TRT_DTD"), sex = prs.Index("BEN_SEX_COD");
        foreach (var r in prs.Rows)
        {
            Assert.True(lives.TryGetValue(r[psa], out var life), "a claim's person is in IR_BEN_R");
            var s = SndsDate.Parse(r[start]);
            var e = SndsDate.Parse(r[end]);
            Assert.Equal(2019, s.Year);
            Assert.True(s <= e);
            Assert.True(s >= life.From, "care starts after birth");
            if (life.Death is { } d)
            {
                Assert.True(e <= d, "care ends before death");
                Assert.Equal(d, SndsDate.Parse(r[death]));
            }
            else Assert.Equal(SndsDate.Sentinel, SndsDate.Parse(r[death]));
            if (r[prescribed].Length > 0)
            {
                var p = SndsDate.Parse(r[prescribed]);
                Assert.True(p >= life.From && p <= s, "prescribed after birth and before the care");
            }
            var flow = SndsDate.Parse(r[disposal]);
            Assert.Equal(1, flow.Day);
            Assert.True(flow > e && SndsDate.Parse(r[processed]) >= e && SndsDate.Parse(r[processed]) <= flow);
            Assert.Equal(life.Sex.ToString(CultureInfo.InvariantCulture), r[sex]);
        }
        var natures = prs.Column("PRS_NAT_REF").ToHashSet();
        Assert.Superset(new HashSet<string> { "1111", "1112", "3111", "3313", "3331" }, natures);
    }

    [Fact]
    public void Pharmacy_lines_join_exactly_one_claim_line_and_add_up_to_it()
    {
        string[] keys = ["FLX_DIS_DTD", "FLX_TRT_DTD", "FLX_EMT_TYP", "FLX_EMT_NUM", "FLX_EMT_ORD", "ORG_CLE_NUM", "DCT_ORD_NUM", "PRS_ORD_NUM", "REM_TYP_AFF"];
        var prs = X.Table("ER_PRS_F");
        var pha = X.Table("ER_PHA_F");
        Assert.NotEmpty(pha.Rows);
        var claims = prs.Rows.GroupBy(r => string.Join('|', keys.Select(k => r[prs.Index(k)]))).ToDictionary(g => g.Key, g => g.ToList());
        Assert.All(claims.Values, g => Assert.Single(g));
        var sums = new Dictionary<string, decimal>();
        foreach (var r in pha.Rows)
        {
            var key = string.Join('|', keys.Select(k => r[pha.Index(k)]));
            Assert.True(claims.TryGetValue(key, out var line), "an ER_PHA_F row joins an ER_PRS_F row on the DCIR keys");
            Assert.Contains(line[0][prs.Index("PRS_NAT_REF")], new[] { "3311", "3312", "3313", "3341" });
            Assert.Matches("^34009[0-9]{8}$", r[pha.Index("PHA_PRS_C13")]);
            sums[key] = sums.GetValueOrDefault(key) + decimal.Parse(r[pha.Index("PHA_ACT_PRU")], CultureInfo.InvariantCulture) * int.Parse(r[pha.Index("PHA_ACT_QSN")], CultureInfo.InvariantCulture);
        }
        foreach (var (key, sum) in sums)
            Assert.Equal(decimal.Parse(claims[key][0][prs.Index("BSE_REM_BSE")], CultureInfo.InvariantCulture), sum);
        // and every pharmacy claim line is detailed
        var pharmacy = prs.Rows.Where(r => r[prs.Index("PRS_NAT_REF")] is "3311" or "3312" or "3313" or "3341").Select(r => string.Join('|', keys.Select(k => r[prs.Index(k)])));
        Assert.All(pharmacy, k => Assert.True(sums.ContainsKey(k)));
    }

    [Fact]
    public void Stays_link_to_persons_and_lie_inside_their_lives()
    {
        var lives = Lives();
        var b = X.Table("T_MCOaaB");
        var c = X.Table("T_MCOaaC");
        var d = X.Table("T_MCOaaD");
        Assert.True(b.Rows.Count > 150, $"{b.Rows.Count} stays");
        Assert.Equal(b.Rows.Count, c.Rows.Count);
        string Key(CsvTable t, string[] r) => r[t.Index("ETA_NUM")] + "|" + r[t.Index("RSA_NUM")];
        var stays = b.Rows.ToDictionary(r => Key(b, r));
        var chained = new Dictionary<string, string[]>();
        foreach (var r in c.Rows)
        {
            Assert.True(stays.ContainsKey(Key(c, r)), "every chaining row has its stay");
            chained.Add(Key(c, r), r);
            Assert.True(lives.TryGetValue(r[c.Index("NIR_ANO_17")], out var life), "NIR_ANO_17 is a BEN_NIR_PSA");
            var entry = SndsDate.Parse(r[c.Index("ENT_DAT")]);
            var exit = SndsDate.Parse(r[c.Index("SOR_DAT")]);
            Assert.True(entry >= life.From && entry <= exit);
            Assert.Equal(entry, SndsDate.Parse(r[c.Index("EXE_SOI_DTD")]));
            if (life.Death is { } death) Assert.True(exit <= death);
            Assert.Equal("False", r[c.Index("NIR_RET")]);
            var stay = stays[Key(c, r)];
            Assert.Equal((exit.DayNumber - entry.DayNumber).ToString(CultureInfo.InvariantCulture), stay[b.Index("SEJ_NBJ")]);
            Assert.Matches("^[A-Z][0-9]{2,3}$", stay[b.Index("DGN_PAL")]);
            if (stay[b.Index("SOR_MOD")] == "9") Assert.Equal(life.Death, exit);
        }
        Assert.All(d.Rows, r => Assert.True(stays.ContainsKey(Key(d, r)), "an associated diagnosis belongs to a stay"));
        Assert.Contains(b.Rows, r => r[b.Index("DGN_PAL")] == "Z380");
        Assert.Contains(b.Rows, r => r[b.Index("SOR_MOD")] == "9");
    }

    [Fact]
    public void The_deceased_and_only_they_have_a_cause_of_death()
    {
        var lives = Lives();
        var ki = X.Table("KI_CCI_R");
        var byIdt = lives.Values.ToDictionary(l => l.Idt);
        Assert.Equal(lives.Values.Count(l => l.Death is not null), ki.Rows.Count);
        var chained = X.Table("T_MCOaaC");
        var b = X.Table("T_MCOaaB");
        foreach (var r in ki.Rows)
        {
            Assert.True(byIdt.TryGetValue(r[ki.Index("BEN_IDT_ANO")], out var life), "a certificate's BEN_IDT_ANO is a beneficiary's");
            Assert.Equal(life.Death, SndsDate.Parse(r[ki.Index("BEN_DCD_DTE")]));
            Assert.Matches("^[A-Z][0-9]{2,3}$", r[ki.Index("DCD_CIM_COD")]);
        }
        // a death in hospital (exit mode 9) is certified as happening there
        var idtOfPsa = Lives().ToDictionary(l => l.Key, l => l.Value.Idt);
        var places = ki.Rows.ToDictionary(r => r[ki.Index("BEN_IDT_ANO")], r => r[ki.Index("DCD_LIE_COD")]);
        for (var i = 0; i < b.Rows.Count; i++)
            if (b.Rows[i][b.Index("SOR_MOD")] == "9")
                Assert.Equal("2", places[idtOfPsa[chained.Rows[i][chained.Index("NIR_ANO_17")]]]);
    }

    [Fact]
    public void Nirs_are_valid_unique_and_agree_with_sex_and_birth()
    {
        var persons = X.Cohort.Members().Select(m => m.Person).ToList();
        Assert.Equal(persons.Count, persons.Select(p => p.Nir).Distinct().Count());
        foreach (var p in persons)
        {
            var check = NirValidator.Validate(p.NirWithKey);
            Assert.True(check.IsValid, check.Describe());
            Assert.Equal(p.Sex, p.Nir[0] - '0');
            Assert.Equal(p.Birth.ToString("yyMM", CultureInfo.InvariantCulture), p.Nir[1..5]);
        }
    }
}
