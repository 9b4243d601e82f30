using System.Runtime.CompilerServices;
using System.Security.Claims;
using Hygie.Core.Errors;
using Hygie.Core.Identity;
using Hygie.Ingest.Deposit;
using Hygie.Ingest.Schemas;
using Hygie.Server.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Hygie.Server.Endpoints;

/// <summary>
/// Datasets (operator creates, staff reads) and deposits (producer), always streamed. The dataset's kind says what the
/// body holds: for <c>snds</c>, the CSV as the body (<c>?table=</c>), or <c>multipart/form-data</c> with a
/// <c>schema</c> part (the producer's Table Schema) before the <c>file</c> part; for <c>fhir</c>, one file as the body
/// (<c>?file=</c> names it), or <c>multipart/form-data</c> with one part per file, deposited together, all or nothing.
/// </summary>
public static class DepositEndpoints
{
    /// <summary>A producer's Table Schema is a small JSON document; anything larger is refused before it is parsed.</summary>
    private const int MaxSchemaBytes = 4 << 20;

    public static void MapDeposit(this IEndpointRouteBuilder app)
    {
        var staff = new[] { Roles.Operator, Roles.Reviewer, Roles.Auditor, Roles.Researcher, Roles.Producer };
        var datasets = app.MapGroup("/api/datasets").WithTags("datasets");
        datasets.MapPost("", async (NewDataset body, ClaimsPrincipal user, DatasetService service, CancellationToken ct) =>
        {
            var created = await service.CreateAsync(user.SubjectOf(), body, ct);
            return Results.Created($"/api/datasets/{created.Name}", created);
        }).RequireRoles(Roles.Operator);
        datasets.MapGet("", (DatasetService service, CancellationToken ct) => service.ListAsync(ct)).RequireRoles(staff);
        datasets.MapGet("/{name}", (string name, DatasetService service, CancellationToken ct) => service.ShowAsync(name, ct)).RequireRoles(staff);
        datasets.MapPost("/{name}/deposits", async (string name, string? table, string? delimiter, string? onError, string? file,
            HttpContext http, ClaimsPrincipal user, DatasetService service) =>
        {
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = null;
            var dataset = await service.FindAsync(name, http.RequestAborted) ?? throw new NotFoundException($"no dataset {name}", "unknown-dataset");
            var boundary = Boundary(http.Request);
            if (dataset.Kind == "fhir")
            {
                var files = boundary is null ? Single(http.Request.Body, file ?? "body") : Parts(http.Request.Body, boundary, http.RequestAborted);
                return Results.Ok(await service.DepositFhirAsync(user.SubjectOf(), name, files, http.RequestAborted));
            }
            if (string.IsNullOrWhiteSpace(table)) throw new ValidationFailedException("name the table: ?table=ER_PRS_F", "table");
            char? delim = delimiter switch
            {
                null or "" => null,
                "tab" or "\\t" => '\t',
                { Length: 1 } d => d[0],
                _ => throw new ValidationFailedException("the delimiter is one character (or 'tab')", "delimiter"),
            };
            var quarantine = onError switch
            {
                null or "" or "fail" => false,
                "quarantine" => true,
                _ => throw new ValidationFailedException("onError is fail or quarantine", "onError"),
            };
            if (boundary is null)
                return Results.Ok(await service.DepositSndsAsync(user.SubjectOf(), name, new SndsDepositRequest(table, delim, quarantine, file),
                    http.Request.Body, http.RequestAborted));

            var reader = new MultipartReader(boundary, http.Request.Body);
            TableSchema? schema = null;
            while (await reader.ReadNextSectionAsync(http.RequestAborted) is { } section)
            {
                var (part, fileName) = Disposition(section);
                if (part == "schema")
                {
                    schema = await ReadSchemaAsync(section.Body, fileName ?? "schema.json", http.RequestAborted);
                    continue;
                }
                if (part != "file") throw new ValidationFailedException($"unexpected part '{part}': an SNDS deposit sends a 'schema' part, then the 'file' part", "multipart");
                return Results.Ok(await service.DepositSndsAsync(user.SubjectOf(), name,
                    new SndsDepositRequest(table, delim, quarantine, fileName ?? file, schema), section.Body, http.RequestAborted));
            }
            throw new ValidationFailedException("the request has no 'file' part holding the CSV", "file", "empty-file");
        }).RequireRoles(Roles.Producer);
    }

    private static string? Boundary(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type) || !type.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase))
            return null;
        var boundary = HeaderUtilities.RemoveQuotes(type.Boundary).Value;
        return string.IsNullOrWhiteSpace(boundary) ? throw new ValidationFailedException("multipart/form-data without a boundary", "Content-Type") : boundary;
    }

    private static (string? Name, string? FileName) Disposition(MultipartSection section)
    {
        if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var cd)) return (null, null);
        var fileName = HeaderUtilities.RemoveQuotes(cd.FileNameStar.HasValue ? cd.FileNameStar : cd.FileName).Value;
        return (HeaderUtilities.RemoveQuotes(cd.Name).Value, string.IsNullOrWhiteSpace(fileName) ? null : Path.GetFileName(fileName));
    }

    private static async Task<TableSchema> ReadSchemaAsync(Stream body, string fileName, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = await body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + n > MaxSchemaBytes) throw new ValidationFailedException($"{fileName}: a table schema is at most {MaxSchemaBytes >> 20} MiB", "schema", "schema");
            buffer.Write(chunk, 0, n);
        }
        buffer.Position = 0;
        return TableSchemaReader.Parse(buffer, fileName);
    }

#pragma warning disable CS1998 // an iterator of one element needs no await
    private static async IAsyncEnumerable<DepositFile> Single(Stream body, string name)
    {
        yield return new DepositFile(Path.GetFileName(name), body);
    }
#pragma warning restore CS1998

    /// <summary>The file parts of a multipart body, each streamed from the request as the deposit reads it.</summary>
    private static async IAsyncEnumerable<DepositFile> Parts(Stream body, string boundary, [EnumeratorCancellation] CancellationToken ct)
    {
        var reader = new MultipartReader(boundary, body);
        var n = 0;
        while (await reader.ReadNextSectionAsync(ct) is { } section)
        {
            n++;
            var (_, fileName) = Disposition(section);
            yield return new DepositFile(fileName ?? $"part {n}", section.Body);
        }
    }
}
