using Hygie.Storage.Hub;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Hygie.Server.Endpoints;

public static class HealthEndpoints
{
    private const string ProbeKey = "health/probe";

    public static void MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health/live", () => Results.Ok(new { status = "live" })).AllowAnonymous().WithTags("health");

        app.MapGet("/health/ready", async (Hub hub, CancellationToken ct) =>
        {
            var checks = await ReadinessAsync(hub, ct);
            var ready = checks.Values.All(v => v == "ok");
            return Results.Json(new { status = ready ? "ready" : "unavailable", checks }, statusCode: ready ? 200 : 503);
        }).AllowAnonymous().WithTags("health");
    }

    /// <summary>Each store's state: <c>ok</c> or <c>failing: ExceptionType</c> (the health route and the console's health page).</summary>
    public static async Task<IReadOnlyDictionary<string, string>> ReadinessAsync(Hub hub, CancellationToken ct) =>
        new Dictionary<string, string>
        {
            ["metadata"] = await Check(async () =>
            {
                await using var c = await hub.Metadata.OpenConnectionAsync(ct);
                await using var cmd = c.CreateCommand();
                cmd.CommandText = "SELECT 1";
                await cmd.ExecuteScalarAsync(ct);
            }),
            ["objects"] = await Check(() => hub.Objects.ExistsAsync(ProbeKey, ct)),
            ["vault"] = await Check(() => Task.FromResult(hub.Vault.SignDigest(new byte[32]))),
        };

    /// <summary>Reports a failing store by its kind only: the exception may name paths or hosts an anonymous caller must not see.</summary>
    private static async Task<string> Check(Func<Task> probe)
    {
        try { await probe(); return "ok"; }
        catch (Exception e) { return "failing: " + e.GetType().Name; }
    }
}
