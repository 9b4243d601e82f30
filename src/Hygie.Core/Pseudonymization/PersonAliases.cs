namespace Hygie.Core.Pseudonymization;

/// <summary>
/// Links the hub pseudonyms of secondary SNDS identifiers (<c>BEN_IDT_ANO</c>, <c>BEN_NIR_ANO</c>) to the person they
/// belong to. No function of those values alone gives the person's <c>BEN_NIR_PSA</c>; a row that carries both (IR_BEN_R)
/// does, so a deposit of IR_BEN_R records the links and later deposits (causes of death, KI_CCI_R) resolve through them.
/// Holds pseudonyms only, never raw identifiers, so the map may be stored as it is. Not thread-safe.
/// </summary>
public sealed class PersonAliases
{
    private readonly Dictionary<string, string> _personOf = new(StringComparer.Ordinal);

    public int Count => _personOf.Count;

    /// <summary>Records that <paramref name="aliasPseudonym"/> (hub pseudonym of a secondary identifier) is the person
    /// <paramref name="personId"/>. False when the alias was already linked to another person (the first link stays).</summary>
    public bool Link(string aliasPseudonym, string personId)
    {
        ArgumentException.ThrowIfNullOrEmpty(aliasPseudonym);
        ArgumentException.ThrowIfNullOrEmpty(personId);
        if (aliasPseudonym == personId) return true;
        if (_personOf.TryGetValue(aliasPseudonym, out var existing)) return existing == personId;
        _personOf[aliasPseudonym] = personId;
        return true;
    }

    /// <summary>The person an alias belongs to, or the alias itself when it is not linked (it then stands for its person).</summary>
    public string Resolve(string pseudonym) => _personOf.TryGetValue(pseudonym, out var person) ? person : pseudonym;

    public bool TryResolve(string aliasPseudonym, out string personId)
    {
        if (_personOf.TryGetValue(aliasPseudonym, out var p)) { personId = p; return true; }
        personId = aliasPseudonym;
        return false;
    }

    public IEnumerable<KeyValuePair<string, string>> Links => _personOf;

    /// <summary>
    /// The person behind a pseudonym, following links: a deposit may link an alias to a pseudonym that another deposit
    /// linked further (BEN_NIR_ANO → BEN_IDT_ANO in KI_CCI_R, BEN_IDT_ANO → BEN_NIR_PSA in IR_BEN_R). Bounded, so a cycle
    /// (two deposits linking two aliases to each other) ends instead of looping.
    /// </summary>
    public string PersonOf(string pseudonym)
    {
        var current = pseudonym;
        for (var hop = 0; hop < 8 && _personOf.TryGetValue(current, out var next) && next != pseudonym; hop++) current = next;
        return current;
    }

    /// <summary>Every pseudonym that stands for one of <paramref name="persons"/> (the persons themselves and their aliases).</summary>
    public HashSet<string> PseudonymsOf(IEnumerable<string> persons)
    {
        var wanted = persons.Select(PersonOf).ToHashSet(StringComparer.Ordinal);
        var all = new HashSet<string>(wanted, StringComparer.Ordinal);
        foreach (var alias in _personOf.Keys)
            if (wanted.Contains(PersonOf(alias))) all.Add(alias);
        return all;
    }
}
