using Hygie.Core.Errors;
using Hygie.Core.Pseudonymization;

namespace Hygie.Synthetic.Cohort;

/// <summary>How a cohort is drawn: its seed, size and year of care.</summary>
public sealed record CohortOptions
{
    public const int DefaultPersons = 3000;
    public const int FirstYear = 2000, LastYear = 2099;

    public long Seed { get; init; } = 1;

    public long Persons { get; init; } = DefaultPersons;

    /// <summary>The year of the claims and stays (the PMSI files are then <c>T_MCO19B</c>… for 2019).</summary>
    public int Year { get; init; } = 2019;

    public void Validate()
    {
        if (Persons < 0) throw new ValidationFailedException($"the number of persons is {Persons}: give zero or more", "persons");
        if (Year is < FirstYear or > LastYear) throw new ValidationFailedException($"the year is {Year}: give a year from {FirstYear} to {LastYear}", "year");
    }
}

/// <summary>A person and what happened to them during the year. The history is reused for the next person.</summary>
public sealed class CohortMember(SyntheticPerson person, CareHistory history)
{
    public SyntheticPerson Person { get; } = person;
    public CareHistory History { get; } = history;
}

/// <summary>
/// A synthetic population and its care during one year, drawn person by person: person <c>i</c> depends only on the
/// seed, the year and <c>i</c>, so a cohort of 1,000 is the first 1,000 persons of a cohort of 10,000. Décompte and RSA
/// numbers run on across persons. Memory stays bounded: one person and their history at a time.
/// </summary>
public sealed class SyntheticCohort
{
    private const ulong IdentityStream = 1, CareStream = 2;
    private const ulong PsaSalt = 0x5053415053415053, IdtSalt = 0x4944544944544944, NirAnoSalt = 0x4E49524E49524E49, AssSalt = 0x4153534153534153;

    private static readonly double[] AgeBands = SyntheticRandom.Cumulative(
        [5.6, 6.1, 6.2, 6.0, 5.6, 5.7, 6.0, 6.3, 6.2, 6.8, 6.7, 6.5, 6.1, 5.9, 5.0, 3.4, 2.9, 2.1, 1.0, 0.3]);

    public SyntheticCohort(CohortOptions options)
    {
        options.Validate();
        Options = options;
    }

    public CohortOptions Options { get; }

    private ulong Seed => (ulong)Options.Seed;

    /// <summary>The first <paramref name="count"/> persons (default: <see cref="CohortOptions.Persons"/>; <see cref="long.MaxValue"/> for as many as asked).</summary>
    public IEnumerable<CohortMember> Members(long? count = null)
    {
        var total = count ?? Options.Persons;
        var history = new CareHistory();
        var care = new CareModel(Options.Year);
        for (long i = 0; i < total; i++)
        {
            var person = Person(i);
            history.Clear();
            var random = new SyntheticRandom(Seed, (ulong)i, CareStream);
            care.Draw(person, history, ref random);
            yield return new CohortMember(person, history);
        }
    }

    /// <summary>Person <paramref name="index"/> of the cohort, without their history.</summary>
    public SyntheticPerson Person(long index)
    {
        var r = new SyntheticRandom(Seed, (ulong)index, IdentityStream);
        var year = Options.Year;
        var band = r.Pick(AgeBands);
        var age = band * 5 + r.Next(5);
        var birthYear = year - age;
        var birth = new DateOnly(birthYear, 1, 1).AddDays(r.Next(DateTime.IsLeapYear(birthYear) ? 366 : 365));
        var sex = r.Chance(0.485) ? 1 : 2;

        DateOnly? death = null;
        if (r.Chance(Mortality(age)))
        {
            var from = birth.Year == year ? birth : new DateOnly(year, 1, 1);
            var last = new DateOnly(year, 12, 31);
            death = from.AddDays(r.Next(last.DayNumber - from.DayNumber + 1));
        }

        var departement = Geography.Draw(ref r);
        var commune = (1 + (int)Math.Min(399, Math.Abs(r.Normal()) * 120)).ToString("D3", System.Globalization.CultureInfo.InvariantCulture);
        var nir = Nir(index, sex, birth, departement);
        var regime = r.NextDouble() switch { < 0.88 => "01", < 0.94 => "02", _ => "03" };
        var organisation = $"{regime}C{departement.Caisse}000";
        var registered = birth.Year >= 1990
            ? birth.AddDays(r.Next(60))
            : new DateOnly(1990, 1, 1).AddDays(r.Next(16 * 365));
        var lastDay = new DateOnly(year, 12, 31);
        if (registered > lastDay) registered = lastDay;

        var psa = Pseudonym(index, PsaSalt, ref r);
        var idt = Pseudonym(index, IdtSalt, ref r);
        var nirAno = Pseudonym(index, NirAnoSalt, ref r);
        return new SyntheticPerson
        {
            Index = index,
            BenNirPsa = psa,
            BenIdtAno = idt,
            BenNirAno = nirAno,
            // an adult opens their own rights; a minor's come from a parent, another pseudonym
            AssNirAno = age < 18 ? Pseudonym(index, AssSalt, ref r) : nirAno,
            Nir = nir,
            NirKey = NirValidator.ComputeKey(nir),
            Sex = sex,
            Birth = birth,
            Death = death,
            Departement = departement,
            Commune = commune,
            Organisation = organisation,
            Cmu = age < 60 && r.Chance(0.08),
            GeneralPractitioner = Professionals.Number(departement, Professionals.Physician, r.Next(300)),
            Registered = registered,
        };
    }

    /// <summary>Yearly probability of death at an age (Gompertz above childhood, close to France's).</summary>
    private static double Mortality(int age) => age == 0 ? 0.0035 : Math.Min(0.45, 0.00002 * Math.Exp(0.095 * age) + 0.0001);

    /// <summary>
    /// 17 letters: 12 encode a bijection of the index (so two persons never share one), 5 are drawn. Shaped like the
    /// SNDS's pseudonymized identifiers, never like a NIR.
    /// </summary>
    private string Pseudonym(long index, ulong salt, ref SyntheticRandom r)
    {
        const string Letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        Span<char> text = stackalloc char[17];
        var v = Mix((ulong)index + Mix(Seed ^ salt));
        for (var i = 0; i < 12; i++)
        {
            text[i] = Letters[(int)(v % 52)];
            v /= 52;
        }
        for (var i = 12; i < 17; i++) text[i] = Letters[r.Next(52)];
        return new string(text);
    }

    /// <summary>The SplitMix64 finalizer: a bijection of 64-bit values.</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// sex, year, month, place of birth (département and commune), order. Commune and order together run through
    /// 998,001 values as a bijection of the index: persons of the same sex, birth month and département never share
    /// a NIR below a million persons.
    /// </summary>
    private string Nir(long index, int sex, DateOnly birth, Departement departement)
    {
        var v = (int)(((ulong)index * 7919UL + (ulong)Options.Seed % 998001UL) % 998001UL);
        var commune = v / 999 + 1;
        var order = v % 999 + 1;
        var place = departement.Overseas
            ? $"97{departement.Code[2]}{commune % 100:D2}"
            : $"{departement.Short}{commune:D3}";
        return FormattableString.Invariant($"{sex}{birth.Year % 100:D2}{birth.Month:D2}{place}{order:D3}");
    }
}
