using Hygie.Storage.Metadata;
using Hygie.Testing;

namespace Hygie.Storage.Tests.Contracts;

public sealed class SqliteMetadataStoreTests : MetadataStoreContract, IDisposable
{
    private readonly TempDirectory _directory = new("hygie-sqlite");

    protected override Task<IMetadataStore> CreateStoreAsync() =>
        Task.FromResult<IMetadataStore>(new SqliteMetadataStore(_directory.Combine("metadata.db")));

    [ContractFact]
    public void Reports_its_provider_dialect_and_file()
    {
        Assert.Equal("sqlite", Store.Provider);
        Assert.Same(SqlDialect.Sqlite, Store.Dialect);
        Assert.Equal(_directory.Combine("metadata.db"), Store.Location);
    }

    public void Dispose() => _directory.Dispose();
}
