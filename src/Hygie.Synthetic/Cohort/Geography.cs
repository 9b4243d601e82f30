namespace Hygie.Synthetic.Cohort;

/// <summary>A French département: its SNDS code (<c>075</c>, <c>02A</c>, <c>971</c>), weight (2019 population, thousands) and prefecture.</summary>
public sealed record Departement(string Code, int Population, string Prefecture)
{
    /// <summary>The code as the NIR and FINESS write it: two characters in metropolitan France (<c>75</c>, <c>2A</c>), three overseas (<c>971</c>).</summary>
    public string Short => Code.StartsWith('0') ? Code[1..] : Code;

    /// <summary>The PMSI's two-character residence code (<c>BDI_DEP</c>): overseas départements are <c>97</c>.</summary>
    public string Pmsi => Short[..2];

    public bool Overseas => Code.StartsWith("97", StringComparison.Ordinal);

    /// <summary>The prefecture's postal code, used in synthetic addresses (Corsica and overseas as La Poste writes them).</summary>
    public string PostalCode => Code switch
    {
        "02A" => "20000",
        "02B" => "20200",
        _ when Overseas => Code + "00",
        _ => Short + "000",
    };

    /// <summary>The caisse primaire's three digits in organisation codes (<c>01C751000</c>): the département, then 1.</summary>
    public string Caisse => Code switch
    {
        "02A" => "201",
        "02B" => "202",
        _ when Overseas => Code,
        _ => Short + "1",
    };
}

/// <summary>Where the synthetic persons live: every département, weighted by its population.</summary>
public static class Geography
{
    public static IReadOnlyList<Departement> Departements { get; } =
    [
        new("001", 652, "Bourg-en-Bresse"), new("002", 531, "Laon"), new("003", 335, "Moulins"), new("004", 164, "Digne-les-Bains"),
        new("005", 141, "Gap"), new("006", 1083, "Nice"), new("007", 326, "Privas"), new("008", 270, "Charleville-Mézières"),
        new("009", 153, "Foix"), new("010", 310, "Troyes"), new("011", 374, "Carcassonne"), new("012", 279, "Rodez"),
        new("013", 2043, "Marseille"), new("014", 694, "Caen"), new("015", 144, "Aurillac"), new("016", 352, "Angoulême"),
        new("017", 651, "La Rochelle"), new("018", 302, "Bourges"), new("019", 240, "Tulle"), new("02A", 158, "Ajaccio"),
        new("02B", 182, "Bastia"), new("021", 533, "Dijon"), new("022", 600, "Saint-Brieuc"), new("023", 117, "Guéret"),
        new("024", 413, "Périgueux"), new("025", 539, "Besançon"), new("026", 516, "Valence"), new("027", 599, "Évreux"),
        new("028", 431, "Chartres"), new("029", 909, "Quimper"), new("030", 748, "Nîmes"), new("031", 1400, "Toulouse"),
        new("032", 191, "Auch"), new("033", 1623, "Bordeaux"), new("034", 1176, "Montpellier"), new("035", 1079, "Rennes"),
        new("036", 219, "Châteauroux"), new("037", 610, "Tours"), new("038", 1264, "Grenoble"), new("039", 259, "Lons-le-Saunier"),
        new("040", 413, "Mont-de-Marsan"), new("041", 329, "Blois"), new("042", 765, "Saint-Étienne"), new("043", 227, "Le Puy-en-Velay"),
        new("044", 1429, "Nantes"), new("045", 680, "Orléans"), new("046", 174, "Cahors"), new("047", 331, "Agen"),
        new("048", 76, "Mende"), new("049", 818, "Angers"), new("050", 495, "Saint-Lô"), new("051", 566, "Châlons-en-Champagne"),
        new("052", 172, "Chaumont"), new("053", 307, "Laval"), new("054", 733, "Nancy"), new("055", 184, "Bar-le-Duc"),
        new("056", 759, "Vannes"), new("057", 1044, "Metz"), new("058", 204, "Nevers"), new("059", 2604, "Lille"),
        new("060", 825, "Beauvais"), new("061", 280, "Alençon"), new("062", 1466, "Arras"), new("063", 660, "Clermont-Ferrand"),
        new("064", 683, "Pau"), new("065", 228, "Tarbes"), new("066", 479, "Perpignan"), new("067", 1132, "Strasbourg"),
        new("068", 764, "Colmar"), new("069", 1876, "Lyon"), new("070", 235, "Vesoul"), new("071", 551, "Mâcon"),
        new("072", 566, "Le Mans"), new("073", 432, "Chambéry"), new("074", 817, "Annecy"), new("075", 2187, "Paris"),
        new("076", 1255, "Rouen"), new("077", 1412, "Melun"), new("078", 1448, "Versailles"), new("079", 374, "Niort"),
        new("080", 570, "Amiens"), new("081", 389, "Albi"), new("082", 260, "Montauban"), new("083", 1073, "Toulon"),
        new("084", 561, "Avignon"), new("085", 683, "La Roche-sur-Yon"), new("086", 438, "Poitiers"), new("087", 374, "Limoges"),
        new("088", 365, "Épinal"), new("089", 335, "Auxerre"), new("090", 141, "Belfort"), new("091", 1296, "Évry-Courcouronnes"),
        new("092", 1609, "Nanterre"), new("093", 1632, "Bobigny"), new("094", 1396, "Créteil"), new("095", 1241, "Cergy"),
        new("971", 384, "Basse-Terre"), new("972", 364, "Fort-de-France"), new("973", 282, "Cayenne"), new("974", 860, "Saint-Denis"),
        new("976", 271, "Mamoudzou"),
    ];

    private static readonly double[] Weights = SyntheticRandom.Cumulative(Departements.Select(d => (double)d.Population).ToArray());

    public static Departement Draw(ref SyntheticRandom random) => Departements[random.Pick(Weights)];
}
