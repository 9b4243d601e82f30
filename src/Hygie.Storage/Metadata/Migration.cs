namespace Hygie.Storage.Metadata;

/// <summary>One versioned step of a module's schema. Versions start at 1 and never change once released.</summary>
public sealed record Migration(string Module, int Version, string Description, string Sql);
