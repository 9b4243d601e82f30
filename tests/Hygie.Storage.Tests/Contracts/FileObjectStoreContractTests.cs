using Hygie.Storage.Objects;
using Hygie.Testing;

namespace Hygie.Storage.Tests.Contracts;

public sealed class FileObjectStoreContractTests : ObjectStoreContract, IDisposable
{
    private readonly TempDirectory _directory = new("hygie-files");

    protected override Task<IObjectStore> CreateStoreAsync() => Task.FromResult<IObjectStore>(new FileObjectStore(_directory.Combine("objects")));

    [ContractFact]
    public void Reports_its_provider_and_folder()
    {
        Assert.Equal("files", Store.Provider);
        Assert.Equal(_directory.Combine("objects"), Store.Location);
    }

    public void Dispose() => _directory.Dispose();
}
