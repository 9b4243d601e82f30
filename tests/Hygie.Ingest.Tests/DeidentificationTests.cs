using System.Security.Cryptography;
using Hygie.Core.Deidentification;
using Hygie.Core.Errors;
using Hygie.Core.Pseudonymization;

namespace Hygie.Ingest.Tests;

public class DeidentificationTests
{
    [Fact]
    public void Snds_defaults_protect_the_quasi_identifiers()
    {
        var p = DeidentificationProfile.SndsDefault;
        Assert.Equal(ColumnAction.Pseudonymize, p.RuleFor("BEN_NIR_PSA").Action);
        Assert.Equal(PersonIdentifierKind.SndsBenNirPsa, p.RuleFor("ben_nir_psa").Identifier);
        Assert.Equal(PersonIdentifierKind.SndsNirAno17, p.RuleFor("NIR_ANO_17").Identifier);
        Assert.Equal(ColumnAction.Drop, p.RuleFor("ASS_NIR_ANO").Action);
        Assert.Equal(ColumnAction.Drop, p.RuleFor("BEN_NAI_MOI").Action);
        Assert.Equal(ColumnAction.Keep, p.RuleFor("BEN_NAI_ANN").Action);
        Assert.Equal(ColumnAction.DateToMonth, p.RuleFor("BEN_DCD_DTE").Action);
        var commune = p.RuleFor("BEN_RES_COM");
        Assert.Equal((ColumnAction.CommuneToDepartement, "BEN_RES_DPT"), (commune.Action, commune.DepartementColumn));
        Assert.Equal(ColumnAction.Keep, p.RuleFor("EXE_SOI_DTD").Action);
        Assert.Equal(ColumnAction.Keep, p.RuleFor("ANY_OTHER").Action);
    }

    [Fact]
    public void A_profile_travels_as_json()
    {
        var profile = DeidentificationProfile.SndsDefault
            .With("EXE_SOI_DTD", ColumnRule.Shift)
            .With("FLX_DIS_DTD", ColumnRule.ToYear)
            .With("PATIENT_NIR", ColumnRule.PersonId(PersonIdentifierKind.Nir));
        var json = profile.ToJson();
        var back = DeidentificationProfile.FromJson(json);
        Assert.Equal(json, back.ToJson());
        Assert.Equal(ColumnAction.ShiftDate, back.RuleFor("EXE_SOI_DTD").Action);
        Assert.Equal(PersonIdentifierKind.Nir, back.RuleFor("PATIENT_NIR").Identifier);
        Assert.Contains("\"commune-to-departement\"", json);
        Assert.Contains("\"departementColumn\": \"BEN_RES_DPT\"", json);

        var small = DeidentificationProfile.FromJson("""{"version":1,"defaultAction":"drop","dateShiftMaxDays":10,"columns":{"A":{"action":"keep"}}}""");
        Assert.Equal((ColumnAction.Drop, 10, ColumnAction.Keep), (small.RuleFor("B").Action, small.DateShiftMaxDays, small.RuleFor("A").Action));
    }

    [Theory]
    [InlineData("""{"columns":{"BEN_DCD_DTE":{"action":"blur"}}}""", "BEN_DCD_DTE")]
    [InlineData("""{"columns":{"X":{"action":"pseudonymize"}}}""", "X")]
    [InlineData("""{"columns":{"X":{"action":"pseudonymize","identifier":"passport"}}}""", "X")]
    [InlineData("""{"columns":{"X":{"action":"keep","departementColumn":"Y"}}}""", "X")]
    [InlineData("""{"columns":{"X":{"action":"keep","colour":"red"}}}""", "X")]
    [InlineData("""{"columns":{"X":"keep"}}""", "X")]
    [InlineData("""{"version":2}""", "version")]
    [InlineData("""{"defaultAction":"shift-date"}""", "defaultAction")]
    [InlineData("""{"dateShiftMaxDays":0}""", "dateShiftMaxDays")]
    [InlineData("""{"extra":1}""", "extra")]
    public void A_bad_profile_is_refused_naming_what_is_wrong(string json, string field)
    {
        var e = Assert.Throws<ValidationFailedException>(() => DeidentificationProfile.FromJson(json));
        Assert.Equal(field, e.Field);
        Assert.StartsWith("de-identification profile:", e.Message);
    }

    [Theory]
    [InlineData("75056", "75")]
    [InlineData("01053", "01")]
    [InlineData("2A004", "2A")]
    [InlineData("2b033", "2B")]
    [InlineData("97105", "971")]
    [InlineData("97611", "976")]
    [InlineData("98735", "987")]
    [InlineData("7505", null)]
    [InlineData("00123", null)]
    [InlineData("2C004", null)]
    [InlineData("A5056", null)]
    public void Communes_generalize_to_their_departement(string commune, string? departement) =>
        Assert.Equal(departement, Generalization.CommuneToDepartement(commune));

    [Theory]
    [InlineData("075", "75")]
    [InlineData("69", "69")]
    [InlineData("02A", "2A")]
    [InlineData("2B", "2B")]
    [InlineData("971", "971")]
    [InlineData("099", "99")]
    [InlineData("1", "01")]
    [InlineData("000", null)]
    [InlineData("ABC", null)]
    public void Snds_departement_codes_normalize(string code, string? expected) =>
        Assert.Equal(expected, Generalization.NormalizeDepartement(code));

    [Fact]
    public void Dates_generalize_and_the_sentinel_stays()
    {
        Assert.Equal(new DateOnly(2019, 3, 1), Generalization.ToMonth(new DateOnly(2019, 3, 27)));
        Assert.Equal(new DateOnly(2019, 1, 1), Generalization.ToYear(new DateOnly(2019, 3, 27)));
        Assert.Equal(new DateTime(2019, 3, 1), Generalization.ToMonth(new DateTime(2019, 3, 27, 13, 5, 0)));
        Assert.Equal(Generalization.SndsMissingDate, Generalization.ToMonth(Generalization.SndsMissingDate));
    }

    [Fact]
    public void Date_shifts_are_per_person_bounded_and_keep_intervals()
    {
        var key = DateShifter.DeriveKey(RandomNumberGenerator.GetBytes(32));
        var shifter = new DateShifter(key, 30);
        var offsets = Enumerable.Range(0, 2000).Select(i => shifter.OffsetDays("person-" + i)).ToList();
        Assert.All(offsets, o => Assert.InRange(o, -30, 30));
        Assert.True(offsets.Distinct().Count() > 50);
        Assert.True(offsets.Any(o => o < 0) && offsets.Any(o => o > 0));
        Assert.Equal(offsets[7], new DateShifter(key, 30).OffsetDays("person-7"));

        var admission = new DateOnly(2019, 3, 1);
        var discharge = new DateOnly(2019, 3, 9);
        Assert.Equal(8, shifter.Shift(discharge, "p").DayNumber - shifter.Shift(admission, "p").DayNumber);
        Assert.Equal(Generalization.SndsMissingDate, shifter.Shift(Generalization.SndsMissingDate, "p"));
        Assert.Equal(new DateTime(1600, 1, 1), shifter.Shift(new DateTime(1600, 1, 1), "p"));
        var other = new DateShifter(DateShifter.DeriveKey(RandomNumberGenerator.GetBytes(32)), 30);
        Assert.Contains(Enumerable.Range(0, 100), i => other.OffsetDays("person-" + i) != offsets[i]);
    }
}
