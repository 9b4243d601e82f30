using Hygie.Core.Identity;
using Hygie.Server.Auth;
using Hygie.Storage.Hub;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hygie.Server.Endpoints;

public static class StatusEndpoints
{
    public static void MapStatus(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/status", async (Hub hub, CancellationToken ct) =>
        {
            var head = await hub.Audit.HeadAsync(ct);
            return Results.Ok(new HubStatus(
                hub.HubId,
                typeof(StatusEndpoints).Assembly.GetName().Version?.ToString() ?? "0",
                new StoreStatus(hub.Metadata.Provider, hub.Metadata.Location),
                new StoreStatus(hub.Objects.Provider, hub.Objects.Location),
                new VaultStatus(hub.Vault.Kind, hub.Vault.Location, hub.Vault.RootKeyId, head.SigningKeyFingerprint),
                new AuditStatus(head.Seq, head.Hash, head.LastCheckpointSeq, head.LastCheckpointTime)));
        }).RequireRoles(Roles.Operator, Roles.Auditor).WithTags("hub");
    }
}

public sealed record HubStatus(string HubId, string Version, StoreStatus Metadata, StoreStatus Objects, VaultStatus Vault, AuditStatus Audit);
public sealed record StoreStatus(string Provider, string Location);
public sealed record VaultStatus(string Kind, string Location, string RootKeyId, string SigningKeyFingerprint);
public sealed record AuditStatus(long Events, string HeadHash, long? LastCheckpoint, DateTimeOffset? LastCheckpointTime);
