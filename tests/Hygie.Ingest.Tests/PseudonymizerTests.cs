using System.Security.Cryptography;
using System.Text;
using Hygie.Core.Errors;
using Hygie.Core.Pseudonymization;
using Hygie.Ingest.BuiltIn;
using Hygie.Ingest.Columns;
using Hygie.Ingest.Csv;

namespace Hygie.Ingest.Tests;

public class PseudonymizerTests
{
    private static readonly byte[] KeyA = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] KeyB = RandomNumberGenerator.GetBytes(32);

    private static List<(string? Psa, long? Rank, string? Other)> ReadSynthetic(string table, string psaColumn, string? otherColumn = null)
    {
        using var reader = new SndsCsvReader(File.OpenRead(Path.Combine(TestData.Synthetic, table + ".csv")), BuiltInTables.Find(table)!);
        var rows = new List<(string?, long?, string?)>();
        foreach (var batch in reader.ReadAll())
        {
            var psa = batch.Column<StringColumn>(psaColumn);
            var rank = batch.Column("BEN_RNG_GEM") as Int64Column;
            var other = otherColumn is null ? null : batch.Column<StringColumn>(otherColumn);
            for (var i = 0; i < batch.Count; i++)
                rows.Add((psa.GetString(i), rank is null || rank.IsNull(i) ? null : rank.Values[i], other?.GetString(i)));
        }
        return rows;
    }

    [Fact]
    public void Pmsi_stays_link_to_dcir_claims_and_beneficiaries_through_nir_ano_17()
    {
        using var p = new Pseudonymizer(KeyA);
        var beneficiaries = ReadSynthetic("IR_BEN_R", "BEN_NIR_PSA")
            .Select(r => p.PersonId(PersonIdentifier.SndsBenNirPsa(r.Psa!, (int?)r.Rank))).ToHashSet();
        Assert.Equal(50, beneficiaries.Count);

        var claims = ReadSynthetic("ER_PRS_F", "BEN_NIR_PSA").Select(r => p.PersonId(PersonIdentifier.SndsBenNirPsa(r.Psa!, (int?)r.Rank))).ToHashSet();
        Assert.Subset(beneficiaries, claims);

        var stays = ReadSynthetic("T_MCOaaC", "NIR_ANO_17").Select(r => p.PersonId(PersonIdentifier.SndsNirAno17(r.Psa!))).ToHashSet();
        Assert.Equal(50, stays.Count);
        Assert.Subset(beneficiaries, stays);
    }

    [Fact]
    public void Causes_of_death_link_through_the_aliases_recorded_from_the_beneficiary_table()
    {
        using var p = new Pseudonymizer(KeyA);
        var aliases = new PersonAliases();
        var persons = new HashSet<string>();
        foreach (var (psa, rank, idt) in ReadSynthetic("IR_BEN_R", "BEN_NIR_PSA", "BEN_IDT_ANO"))
        {
            var person = p.PersonId(PersonIdentifier.SndsBenNirPsa(psa!, (int?)rank));
            persons.Add(person);
            Assert.True(aliases.Link(p.PersonId(PersonIdentifier.SndsBenIdtAno(idt!)), person));
        }
        var deaths = ReadSynthetic("KI_CCI_R", "BEN_IDT_ANO");
        Assert.Equal(50, deaths.Count);
        foreach (var (idt, _, _) in deaths)
        {
            var alias = p.PersonId(PersonIdentifier.SndsBenIdtAno(idt!));
            Assert.DoesNotContain(alias, persons); // another pseudonym space: no link by value alone
            Assert.True(aliases.TryResolve(alias, out var person));
            Assert.Contains(person, persons);
        }
        // an alias first linked to one person is not moved to another
        var first = aliases.Links.First();
        Assert.False(aliases.Link(first.Key, "someone-else"));
        Assert.Equal(first.Value, aliases.Resolve(first.Key));
    }

    [Fact]
    public void The_rank_joins_the_person_only_under_psa_and_rank_linkage()
    {
        using var byPsa = new Pseudonymizer(KeyA);
        Assert.Equal(byPsa.PersonId(PersonIdentifierKind.SndsBenNirPsa, "WzaLKmWVyVPvZUkvM", 1), byPsa.PersonId(PersonIdentifierKind.SndsBenNirPsa, "WzaLKmWVyVPvZUkvM", 2));
        Assert.Equal(byPsa.PersonId(PersonIdentifierKind.SndsBenNirPsa, " WzaLKmWVyVPvZUkvM "), byPsa.PersonId(PersonIdentifierKind.SndsNirAno17, "WzaLKmWVyVPvZUkvM"));

        using var byRank = new Pseudonymizer(KeyA, new PseudonymizerOptions { SndsLinkage = SndsLinkage.PsaAndRank });
        var twin1 = byRank.PersonId(PersonIdentifierKind.SndsBenNirPsa, "WzaLKmWVyVPvZUkvM", 1);
        var twin2 = byRank.PersonId(PersonIdentifierKind.SndsBenNirPsa, "WzaLKmWVyVPvZUkvM", 2);
        Assert.NotEqual(twin1, twin2);
        Assert.NotEqual(twin1, byRank.PersonId(PersonIdentifierKind.SndsNirAno17, "WzaLKmWVyVPvZUkvM"));
        Assert.Throws<ValidationFailedException>(() => byRank.PersonId(PersonIdentifierKind.SndsBenNirPsa, "WzaLKmWVyVPvZUkvM"));
        // bytes and text agree
        Assert.True(byRank.TryPersonIdOfSnds(PersonIdentifierKind.SndsBenNirPsa, "WzaLKmWVyVPvZUkvM"u8, 2, out var fromBytes));
        Assert.Equal(twin2, fromBytes);
        Assert.False(byRank.TryPersonIdOfSnds(PersonIdentifierKind.SndsBenNirPsa, "WzaLKmWVyVPvZUkvM"u8, null, out _));
    }

    [Fact]
    public void Kinds_are_kept_apart_and_keys_give_different_pseudonyms()
    {
        using var a = new Pseudonymizer(KeyA);
        using var b = new Pseudonymizer(KeyB);
        const string v = "AcZaAckxCilGUEdOw";
        var ids = new[]
        {
            a.PersonId(PersonIdentifierKind.SndsBenNirPsa, v), a.PersonId(PersonIdentifierKind.SndsBenIdtAno, v),
            a.PersonId(PersonIdentifierKind.SndsBenNirAno, v),
        };
        Assert.Equal(3, ids.Distinct().Count());
        Assert.NotEqual(a.PersonId(PersonIdentifierKind.SndsBenNirPsa, v), b.PersonId(PersonIdentifierKind.SndsBenNirPsa, v));
        Assert.Equal(a.PersonId(PersonIdentifierKind.SndsBenNirPsa, v), new Pseudonymizer(KeyA).PersonId(PersonIdentifierKind.SndsBenNirPsa, v));
        // case matters in SNDS pseudonyms
        Assert.NotEqual(a.PersonId(PersonIdentifierKind.SndsBenNirPsa, v), a.PersonId(PersonIdentifierKind.SndsBenNirPsa, v.ToUpperInvariant()));
    }

    [Fact]
    public void The_pseudonym_is_the_hmac_of_the_canonical_identifier()
    {
        using var hex = new Pseudonymizer(KeyA);
        var expected = Convert.ToHexStringLower(HMACSHA256.HashData(KeyA, Encoding.ASCII.GetBytes("snds-psa:WzaLKmWVyVPvZUkvM")));
        Assert.Equal(expected, hex.PersonId(PersonIdentifierKind.SndsBenNirPsa, "WzaLKmWVyVPvZUkvM"));
        Assert.Matches("^[0-9a-f]{64}$", expected);

        using var b32 = new Pseudonymizer(KeyA, new PseudonymizerOptions { Encoding = PseudonymEncoding.Base32 });
        var id = b32.PersonId(PersonIdentifierKind.SndsBenNirPsa, "WzaLKmWVyVPvZUkvM");
        Assert.Matches("^[a-z2-7]{52}$", id);
        Assert.Equal("mzxw6ytboi", Pseudonymizer.Encode("foobar"u8, PseudonymEncoding.Base32)); // RFC 4648 test vector, lower case, no padding
    }

    [Fact]
    public void The_cache_gives_the_same_answers_and_stays_bounded()
    {
        using var plain = new Pseudonymizer(KeyA);
        using var cached = new Pseudonymizer(KeyA, new PseudonymizerOptions { CacheCapacity = 100 });
        for (var round = 0; round < 3; round++)
            for (var i = 0; i < 500; i++)
            {
                var v = "P" + (i % 150).ToString("D16");
                Assert.Equal(plain.PersonId(PersonIdentifierKind.SndsBenNirPsa, v), cached.PersonId(PersonIdentifierKind.SndsBenNirPsa, v));
            }
        Assert.True(cached.CacheHits > 0);
        Assert.True(cached.CacheMisses >= 150);

        // many more persons than the cache holds, and identifiers too long to be cached
        using var small = new Pseudonymizer(KeyA, new PseudonymizerOptions { CacheCapacity = 64 });
        var random = new Random(3);
        for (var i = 0; i < 5000; i++)
        {
            var v = "Q" + random.Next(2000).ToString("D16") + (i % 10 == 0 ? new string('x', 60) : "");
            Assert.Equal(plain.PersonId(PersonIdentifierKind.SndsBenNirPsa, v), small.PersonId(PersonIdentifierKind.SndsBenNirPsa, v));
        }
        Assert.Throws<ArgumentException>(() => new Pseudonymizer(new byte[16]));
    }

    [Fact]
    public void Project_pseudonyms_differ_per_project_and_from_the_hub_pseudonym()
    {
        using var hub = new Pseudonymizer(KeyA);
        var person = hub.PersonId(PersonIdentifierKind.SndsBenNirPsa, "WzaLKmWVyVPvZUkvM");
        var inA = Pseudonymizer.ProjectPseudonym(KeyA, person);
        var inB = Pseudonymizer.ProjectPseudonym(KeyB, person);
        Assert.NotEqual(inA, inB);
        Assert.NotEqual(person, inB);
        Assert.Equal(inB, Pseudonymizer.ProjectPseudonym(KeyB, person));
        Assert.Equal(inB, Pseudonymizer.ProjectPseudonymizer(KeyB)(person));
        Assert.NotEqual(inB, Pseudonymizer.ProjectPseudonym(KeyB, hub.PersonId(PersonIdentifierKind.SndsBenNirPsa, "sBbKuDRTDsvFYNXtL")));
    }

    // ---------------------------------------------------------------- NIR

    /// <summary>The key computed here independently: 97 − (number mod 97), 2A → 19, 2B → 18.</summary>
    private static string WithKey(string number13)
    {
        var digits = number13.Replace("2A", "19").Replace("2B", "18");
        var key = 97 - long.Parse(digits) % 97;
        return number13 + key.ToString("D2");
    }

    [Theory]
    [InlineData("1850578006084")]
    [InlineData("2991299123456")]
    [InlineData("185052A123456")]
    [InlineData("185052B123456")]
    [InlineData("7850599123456")]
    public void Valid_nirs_pass_and_normalize(string number)
    {
        var nir = WithKey(number);
        var v = NirValidator.Validate(nir);
        Assert.True(v.IsValid, v.Describe());
        Assert.Equal(number, v.Number);
        var spaced = $"{nir[0]} {nir[1..3]} {nir[3..5]} {nir[5..7].ToLowerInvariant()} {nir[7..10]} {nir[10..13]} {nir[13..]}";
        Assert.True(NirValidator.Validate(spaced).IsValid);
        Assert.Equal(int.Parse(nir[13..]), NirValidator.ComputeKey(number));
    }

    [Theory]
    [InlineData("", NirError.Empty)]
    [InlineData("   ", NirError.Empty)]
    [InlineData("18505780060", NirError.Length)]
    [InlineData("18505780060841234", NirError.Length)]
    [InlineData("18505780060X4", NirError.Characters)]
    [InlineData("1850578A06084", NirError.Characters)]
    [InlineData("5850578006084", NirError.Sex)]
    public void Invalid_nirs_say_why(string value, NirError error)
    {
        var v = NirValidator.Validate(value);
        Assert.Equal(error, v.Error);
        Assert.False(v.IsValid);
        Assert.Null(v.Number);
    }

    [Fact]
    public void A_wrong_check_key_is_refused_and_corsica_counts_as_19_and_18()
    {
        var good = WithKey("1850578006084");
        var wrongKey = good[..13] + ((int.Parse(good[13..]) % 97) + 1).ToString("D2");
        Assert.Equal(NirError.CheckKey, NirValidator.Validate(wrongKey).Error);
        // 2A with the key of 20 (no substitution) is wrong
        var corsica = "185052A123456";
        var naive = 97 - long.Parse(corsica.Replace("2A", "20")) % 97;
        Assert.Equal(NirError.CheckKey, NirValidator.Validate(corsica + naive.ToString("D2")).Error);
        Assert.True(NirValidator.Validate(WithKey(corsica)).IsValid);
        Assert.NotEqual(NirValidator.ComputeKey("185052A123456"), NirValidator.ComputeKey("185052B123456"));
        Assert.Equal("NirValidation(CheckKey)", NirValidator.Validate(wrongKey).ToString());
    }

    [Fact]
    public void A_nir_and_an_ins_of_one_person_link_and_raw_values_never_show()
    {
        using var p = new Pseudonymizer(KeyA);
        var nir = WithKey("2991299123456");
        Assert.Equal(p.PersonId(PersonIdentifier.Nir(nir[..13])), p.PersonId(PersonIdentifier.Ins(nir)));
        Assert.Equal(p.PersonId(PersonIdentifier.Nir(nir)), p.PersonId(PersonIdentifierKind.Ins, "2 99 12 99 123 456 " + nir[13..]));
        Assert.NotEqual(p.PersonId(PersonIdentifier.Nir(nir)), p.PersonId(PersonIdentifier.Nir(WithKey("2991299123457"))));

        var bad = nir[..13] + "00";
        var e = Assert.Throws<ValidationFailedException>(() => PersonIdentifier.Ins(bad));
        Assert.DoesNotContain(bad[..13], e.Message);
        Assert.Contains("key", e.Message);
        Assert.Equal("PersonIdentifier(Nir)", PersonIdentifier.Nir(nir).ToString());

        var empty = Assert.Throws<ValidationFailedException>(() => PersonIdentifier.SndsBenNirPsa("  "));
        Assert.Equal("BEN_NIR_PSA", empty.Field);
        var nonAscii = Assert.Throws<ValidationFailedException>(() => PersonIdentifier.SndsNirAno17("ÉCLAIR"));
        Assert.DoesNotContain("CLAIR", nonAscii.Message);
    }
}
