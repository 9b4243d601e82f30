using Hygie.Storage.Hub;
using Hygie.Storage.Metadata;
using Hygie.Storage.Operations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Hygie.Server.Modules;

/// <summary>
/// <c>GET /public/transparency</c>, for anyone: where the hub's data is (provider, country, jurisdiction,
/// qualifications), who holds the keys, the placement policy and the accesses recorded from outside the EEA — the
/// compliance report without file paths or actors. Rebuilt at most once a minute.
/// </summary>
public sealed class TransparencyModule : IHubModule
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(1);

    public IEnumerable<Migration> Migrations => [];

    public void AddServices(IServiceCollection services, Hub hub) => services.AddSingleton<TransparencyCache>();

    public void MapEndpoints(IEndpointRouteBuilder app)
    {
        app.MapGet("/public/transparency", async (Hub hub, TransparencyCache cache, CancellationToken ct) =>
        {
            var report = await cache.GetAsync(hub, ct);
            return Results.Ok(report);
        }).AllowAnonymous().WithTags("public").WithSummary("Where the hub's data lives, key custody, placement policy and accesses from outside the EEA");
    }

    public sealed class TransparencyCache
    {
        private readonly SemaphoreSlim _gate = new(1, 1);
        private (ComplianceReport Report, DateTimeOffset At)? _cached;

        public async Task<ComplianceReport> GetAsync(Hub hub, CancellationToken ct)
        {
            var now = hub.Clock.GetUtcNow();
            if (_cached is { } c && now - c.At < CacheFor && now >= c.At) return c.Report;
            await _gate.WaitAsync(ct);
            try
            {
                if (_cached is { } again && now - again.At < CacheFor && now >= again.At) return again.Report;
                var report = (await ComplianceReport.BuildAsync(hub, ct)).ForPublic();
                _cached = (report, now);
                return report;
            }
            finally
            {
                _gate.Release();
            }
        }
    }
}
