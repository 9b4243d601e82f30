namespace Hygie.Ingest.Schemas;

/// <summary>A Frictionless foreign key: <see cref="Fields"/> of this table reference <see cref="ReferenceFields"/> of
/// <see cref="ReferenceResource"/> (an SNDS table or nomenclature such as <c>IR_BER_V</c>).</summary>
public sealed record ForeignKey(IReadOnlyList<string> Fields, string ReferenceResource, IReadOnlyList<string> ReferenceFields, string Description = "");
