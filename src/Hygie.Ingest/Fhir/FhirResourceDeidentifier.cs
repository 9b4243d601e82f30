using System.Collections;
using Hl7.Fhir.Model;
using Hygie.Core.Deidentification;

namespace Hygie.Ingest.Fhir;

/// <summary>
/// Applies a <see cref="FhirDeidentificationProfile"/> to a resource in place, element by element (contained resources
/// included): dropped elements disappear, dates are generalized or shifted by the person's offset. Elements left empty
/// by a drop (an extension whose value went, a reference whose display went) disappear too, so the result stays valid
/// FHIR. Extensions are elements like any other: a <c>valueString</c> (a mother's maiden name) or a <c>valueAddress</c>
/// (a birth place) goes with the rules of <c>string</c> and <c>Address</c>.
/// </summary>
public sealed class FhirResourceDeidentifier(FhirDeidentificationProfile profile, DateShifter? shifter)
{
    public FhirDeidentificationProfile Profile => profile;

    /// <param name="personId">the resource's person, whose offset shifts dates (required when the profile shifts dates).</param>
    public void Apply(Resource resource, string? personId)
    {
        var offset = profile.ShiftsDates
            ? shifter is null || personId is null
                ? throw new InvalidOperationException("the profile shifts dates: a date-shift key and the person are needed")
                : shifter.OffsetDays(personId)
            : 0;
        Walk(resource, resource.TypeName, offset, false);
    }

    /// <param name="dated">a date action already applied to this subtree's dates (a Period shifted as a whole is not
    /// shifted again by a rule on its dateTimes).</param>
    /// <returns>false when the node is left without content and should be removed.</returns>
    private bool Walk(Base node, string path, int offset, bool dated)
    {
        var parentPaths = FhirTree.TypeNamesOf(node);
        foreach (var (name, single, list) in FhirTree.Children(node))
        {
            var childPath = path + "." + name;
            var parents = new string[parentPaths.Length];
            for (var i = 0; i < parents.Length; i++) parents[i] = parentPaths[i] + "." + name;
            if (single is not null)
            {
                if (!Keep(single, childPath, parents, offset, dated)) node.SetValue(name, null);
            }
            else
            {
                for (var i = list!.Count - 1; i >= 0; i--)
                    if (list[i] is Base item && !Keep(item, childPath, parents, offset, dated)) list.RemoveAt(i);
            }
        }
        if (node is Resource) return true;
        var remaining = FhirTree.Children(node).Count(c => c.Single is not null || c.List!.Count > 0);
        if (node is Extension ext) return ext.Value is not null || ext.Extension.Count > 0;
        if (node is PrimitiveType p) return p.JsonValue is not null || remaining > 0;
        return remaining > 0;
    }

    private bool Keep(Base value, string path, string[] parents, int offset, bool dated)
    {
        if (value is Resource contained)
        {
            Walk(contained, contained.TypeName, offset, false); // a contained resource stays with its container
            return true;
        }
        var action = profile.ActionFor(path, parents, value.TypeName);
        switch (action)
        {
            case ColumnAction.Drop:
                return false;
            case ColumnAction.DateToMonth or ColumnAction.DateToYear or ColumnAction.ShiftDate when !dated:
                ApplyDate(value, action, offset);
                dated = true;
                break;
        }
        return value is PrimitiveType { JsonValue: not null } p && !HasElementChildren(p) || Walk(value, path, offset, dated);
    }

    private static bool HasElementChildren(PrimitiveType p) => p.Extension.Count > 0 || p.ElementId is not null;

    /// <summary>A date action on a date applies to it; on a complex element (a Period, a Timing) to the dates inside.</summary>
    private static void ApplyDate(Base value, ColumnAction action, int offset)
    {
        if (FhirDates.IsDate(value))
        {
            if (action == ColumnAction.DateToMonth) FhirDates.ToMonth(value);
            else if (action == ColumnAction.DateToYear) FhirDates.ToYear(value);
            else FhirDates.Shift(value, offset);
            return;
        }
        if (value is PrimitiveType) return;
        foreach (var (_, single, list) in FhirTree.Children(value))
        {
            if (single is not null) ApplyDate(single, action, offset);
            else foreach (var item in (IEnumerable)list!) if (item is Base b) ApplyDate(b, action, offset);
        }
    }
}
