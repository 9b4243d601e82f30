using System.Text.Json;
using Hygie.Core.Errors;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Hygie.Server;

/// <summary>RFC 9457 problem+json for every error: a stable <c>type</c> per error kind, a detail that says what and where.</summary>
public static class ProblemResponses
{
    public const string ContentType = "application/problem+json";

    public static Task WriteAsync(HttpContext context, int status, string code, string title, string detail, IDictionary<string, object?>? extensions = null)
    {
        var body = new Dictionary<string, object?>
        {
            ["type"] = ProblemTypes.Uri(code),
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
            ["instance"] = context.Request.Path.Value,
            ["traceId"] = context.TraceIdentifier,
        };
        if (extensions is not null)
            foreach (var (k, v) in extensions) body[k] = v;
        context.Response.StatusCode = status;
        context.Response.ContentType = ContentType;
        return context.Response.WriteAsync(JsonSerializer.Serialize(body, JsonSerializerOptions.Web));
    }

    public static IResult Result(HygieException e) => Results.Json(
        ToBody(e), JsonSerializerOptions.Web, ContentType, e.Status);

    private static Dictionary<string, object?> ToBody(HygieException e)
    {
        var body = new Dictionary<string, object?> { ["type"] = e.TypeUri, ["title"] = Title(e), ["status"] = e.Status, ["detail"] = e.Message };
        if (e is ValidationFailedException { Field: not null } v) body["field"] = v.Field;
        foreach (var (k, val) in e.Extensions) body[k] = val;
        return body;
    }

    internal static string Title(HygieException e) => e switch
    {
        ValidationFailedException => "Invalid request",
        NotFoundException => "Not found",
        AccessDeniedException => "Forbidden",
        PolicyViolationException => "Refused by policy",
        ConflictException => "Conflict",
        IntegrityException => "Integrity check failed",
        HubStateException => "Hub unavailable",
        _ => "Error",
    };
}

/// <summary>Turns domain errors into problem+json; anything else becomes a 500 that reveals nothing of its cause.</summary>
public sealed class HygieExceptionHandler(ILogger<HygieExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        if (exception is HygieException e)
        {
            var extensions = new Dictionary<string, object?>(e.Extensions);
            if (e is ValidationFailedException { Field: not null } v) extensions["field"] = v.Field;
            await ProblemResponses.WriteAsync(context, e.Status, e.Code, ProblemResponses.Title(e), e.Message, extensions);
            return true;
        }
        if (exception is BadHttpRequestException bad)
        {
            await ProblemResponses.WriteAsync(context, bad.StatusCode, "bad-request", "Bad request", bad.Message);
            return true;
        }
        // The exception's message may quote input data: log its type and trace id only.
        logger.LogError("unhandled {ExceptionType} in {Path} (trace {TraceId})", exception.GetType().FullName, context.Request.Path.Value, context.TraceIdentifier);
        await ProblemResponses.WriteAsync(context, 500, "internal", "Internal error", $"the hub failed to process the request (trace {context.TraceIdentifier})");
        return true;
    }
}
