using System.Reflection;
using Hygie.Core.Audit;
using Hygie.Core.Errors;
using Hygie.Server.Auth;
using Hygie.Storage.Hub;
using Microsoft.AspNetCore.Mvc.Core.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.Extensions.Logging;

namespace Hygie.Web.Console;

/// <summary>
/// Every console page passes here: the page's roles are checked like the API route's (sign in first; a missing role
/// is a 403 page naming the rule, audited as <c>access.denied</c>), and a domain error thrown by a service becomes a
/// page that says why — never a stack trace.
/// </summary>
public sealed class ConsolePageFilter(Hub hub, ConsoleText text, ILogger<ConsolePageFilter> logger) : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var http = context.HttpContext;
        if (context.HandlerInstance.GetType().GetCustomAttribute<ConsoleRolesAttribute>() is { } required)
        {
            if (!ConsoleAuth.IsSignedIn(http.User))
            {
                context.Result = new RedirectResult("/signin?returnUrl=" + Uri.EscapeDataString(http.Request.Path + http.Request.QueryString));
                return;
            }
            if (!required.Roles.Any(http.User.HasRole))
            {
                var rule = $"this page needs the role {string.Join(" or ", required.Roles)}";
                await hub.Audit.AppendAsync(new AuditEntry(http.User.SubjectOf(), "access.denied", $"{http.Request.Method} {http.Request.Path}",
                    AuditOutcome.Refused, rule), CancellationToken.None);
                var roles = string.Join(text["word.or"], required.Roles.Select(r => text.Code("role", r)));
                var mine = ConsoleAuth.RolesOf(http.User).Select(r => text.Code("role", r)).ToList();
                context.Result = new ProblemModel(403, text["problem.title.403"], text["problem.needsRole", roles, http.User.SubjectOf(),
                    mine.Count == 0 ? text["word.none"] : string.Join(", ", mine)], "role", rule).ToResult(context);
                return;
            }
        }
        var executed = await next();
        if (executed.Exception is { } e && !executed.ExceptionHandled)
        {
            executed.ExceptionHandled = true;
            if (e is HygieException h) executed.Result = ProblemModel.Of(h, text).ToResult(context);
            else if (e is OperationCanceledException && http.RequestAborted.IsCancellationRequested) executed.Result = new EmptyResult();
            else
            {
                // The message may quote input: its type and the trace id only.
                logger.LogError("console page {Page} failed with {ExceptionType} (trace {TraceId})", context.ActionDescriptor.ViewEnginePath,
                    e.GetType().FullName, http.TraceIdentifier);
                executed.Result = new ProblemModel(500, text["problem.title.500"], text["problem.internal", http.TraceIdentifier]).ToResult(context);
            }
        }
    }
}

/// <summary>A form posted without its antiforgery token (or with another site's) is refused with a page that says so.</summary>
public sealed class AntiforgeryRefusalFilter(ConsoleText text, Hub hub) : IAsyncAlwaysRunResultFilter
{
    public async Task OnResultExecutionAsync(ResultExecutingContext context, ResultExecutionDelegate next)
    {
        if (context.Result is IAntiforgeryValidationFailedResult)
        {
            var http = context.HttpContext;
            await hub.Audit.AppendAsync(new AuditEntry(http.User.SubjectOf(), "access.denied", $"{http.Request.Method} {http.Request.Path}",
                AuditOutcome.Refused, "antiforgery: the form's token is missing or invalid"), CancellationToken.None);
            context.Result = new ProblemModel(400, text["problem.title.csrf"], text["problem.csrf"], "antiforgery").ToResult(context);
        }
        await next();
    }
}
