using System.Collections.Concurrent;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;

namespace Hygie.Ingest.Fhir;

/// <summary>
/// Which patient a resource belongs to, by the SDK's own search parameters (<see cref="ModelInfo.SearchParameters"/>):
/// the <c>patient</c> parameter of its type (e.g. <c>Observation.subject.where(resolve() is Patient)</c>), else
/// <c>subject</c> or <c>beneficiary</c> when they may target a Patient — evaluated with the SDK's FHIRPath engine, the
/// <c>resolve()</c> answered from the deposit's own resources. A type with none of them does not belong to a patient.
/// </summary>
public static class PatientCompartment
{
    private static readonly string[] Parameters = ["patient", "subject", "beneficiary"];
    private static readonly FhirPathCompiler Compiler = new(new SymbolTable().AddStandardFP().AddFhirExtensions());
    private static readonly ConcurrentDictionary<string, CompiledExpression[]> ByType = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, PocoNode?> EmptyOfType = new(StringComparer.Ordinal);

    /// <summary>True for Patient and for every type with a patient parameter.</summary>
    public static bool BelongsToPatient(string type) => type == "Patient" || ExpressionsOf(type).Length > 0;

    /// <summary>
    /// The references that name the resource's patient, in the order of the parameters; <paramref name="typeOf"/> gives
    /// the type of the resource a reference points at (null when it is not in the deposit).
    /// </summary>
    public static IEnumerable<ResourceReference> ReferencesOf(Resource resource, Func<string, string?> typeOf)
    {
        var expressions = ExpressionsOf(resource.TypeName);
        if (expressions.Length == 0) yield break;
        var node = resource.ToPocoNode(ModelInfo.ModelInspector);
        var context = new FhirEvaluationContext { ElementResolver = reference => typeOf(reference) is { } type ? Empty(type) : null };
        foreach (var expression in expressions)
        {
            List<PocoNode> values;
            try
            {
                values = expression.Invoke([node], context).ToList();
            }
            catch (InvalidOperationException)
            {
                continue; // an expression the data makes meaningless (a singleton function over a list): no patient there
            }
            foreach (var value in values)
                if (value.Poco is ResourceReference reference) yield return reference;
        }
    }

    private static PocoNode? Empty(string type) => EmptyOfType.GetOrAdd(type, t =>
        ModelInfo.GetTypeForFhirType(t) is { } clr && Activator.CreateInstance(clr) is Resource empty ? empty.ToPocoNode(ModelInfo.ModelInspector) : null);

    private static CompiledExpression[] ExpressionsOf(string type) => ByType.GetOrAdd(type, t =>
    {
        var result = new List<CompiledExpression>();
        foreach (var name in Parameters)
        {
            var definition = ModelInfo.SearchParameters.FirstOrDefault(d => d.Resource == t && d.Name == name && d.Expression is not null
                && (d.Target ?? []).Any(target => target.ToString() == "Patient"));
            if (definition is null || ForType(definition.Expression!, t) is not { } expression) continue;
            result.Add(Compiler.Compile(expression));
            if (name == "patient") break; // the patient parameter says it all
        }
        return [.. result];
    });

    /// <summary>Keeps the branches of a union expression (the SDK writes one for many types) that apply to <paramref name="type"/>.</summary>
    internal static string? ForType(string expression, string type)
    {
        var branches = new List<string>();
        int depth = 0, start = 0;
        var quoted = false;
        for (var i = 0; i < expression.Length; i++)
        {
            var c = expression[i];
            if (c == '\'') quoted = !quoted;
            if (quoted) continue;
            if (c == '(') depth++;
            else if (c == ')') depth--;
            else if (c == '|' && depth == 0) { branches.Add(expression[start..i].Trim()); start = i + 1; }
        }
        branches.Add(expression[start..].Trim());
        var kept = branches.Where(b => new string(b.TrimStart('(', ' ').TakeWhile(char.IsLetterOrDigit).ToArray()) == type).ToList();
        return kept.Count == 0 ? null : string.Join(" | ", kept);
    }
}
