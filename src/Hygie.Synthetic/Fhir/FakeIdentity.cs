using Hygie.Synthetic.Cohort;

namespace Hygie.Synthetic.Fhir;

/// <summary>
/// Names, streets and telephone numbers that are plainly invented: family names are words meaning "fake" or
/// "imaginary", streets are named after testing, and numbers are in the range ARCEP keeps for fiction (06 39 98).
/// </summary>
internal static class FakeIdentity
{
    private static readonly string[] Families =
    [
        "Factice", "Fictif", "Imaginaire", "Simulé", "Synthèse", "Exemple", "Modèle", "Démo", "Chimère", "Mirage", "Songe",
        "Fable", "Utopie", "Esquisse", "Brouillon", "Maquette", "Prototype", "Essai", "Gabarit", "Postiche", "Leurre", "Apocryphe",
    ];

    private static readonly string[] Men =
    [
        "Jean", "Pierre", "Michel", "Philippe", "Alain", "Nicolas", "Thomas", "Lucas", "Hugo", "Louis", "Gabriel", "Arthur",
        "Jules", "Paul", "Antoine", "Julien", "Mathieu", "Karim", "Mamadou", "Yanis", "Théo", "Léo", "Raphaël", "Bernard",
    ];

    private static readonly string[] Women =
    [
        "Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Sophie", "Julie", "Camille", "Emma", "Jade", "Louise", "Alice",
        "Chloé", "Léa", "Manon", "Inès", "Sarah", "Fatima", "Aïcha", "Lina", "Zoé", "Anne", "Monique", "Françoise",
    ];

    private static readonly string[] Streets =
    [
        "rue de la Simulation", "avenue des Données Fictives", "place du Jeu d'Essai", "impasse du Test", "boulevard de l'Exemple",
        "allée du Cas d'École", "chemin du Prototype", "quai de la Maquette", "rue du Faux-Semblant", "cours de la Démonstration",
    ];

    public static string Family(ref SyntheticRandom r) => Families[r.Next(Families.Length)];

    public static string Given(int sex, ref SyntheticRandom r) => sex == 1 ? Men[r.Next(Men.Length)] : Women[r.Next(Women.Length)];

    public static string Street(ref SyntheticRandom r) => $"{r.Between(1, 120)} {Streets[r.Next(Streets.Length)]}";

    public static string Mobile(ref SyntheticRandom r) => FormattableString.Invariant($"+33 6 39 98 {r.Next(100):D2} {r.Next(100):D2}");
}
