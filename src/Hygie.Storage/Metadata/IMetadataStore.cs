using System.Data.Common;

namespace Hygie.Storage.Metadata;

/// <summary>
/// The relational store for everything but the health data itself: manifests, keys (wrapped), audit, governance.
/// Modules write portable SQL with named parameters (<c>@name</c>); <see cref="Dialect"/> covers the few differences.
/// </summary>
public interface IMetadataStore : IAsyncDisposable
{
    /// <summary><c>sqlite</c> or <c>postgresql</c>.</summary>
    string Provider { get; }

    SqlDialect Dialect { get; }

    /// <summary>Where the store lives, without credentials.</summary>
    string Location { get; }

    /// <summary>An open connection; the caller disposes it.</summary>
    Task<DbConnection> OpenConnectionAsync(CancellationToken ct = default);
}
