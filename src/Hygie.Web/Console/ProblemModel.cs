using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.ModelBinding;
using Microsoft.AspNetCore.Mvc.ViewFeatures;
using Microsoft.Extensions.DependencyInjection;

namespace Hygie.Web.Console;

/// <summary>What an error page says: its status, a title, why (in the page's language) and the rule's code when one applies.</summary>
public sealed record ProblemModel(int Status, string Title, string Detail, string? Rule = null, string? ServerDetail = null)
{
    public const string ViewName = "/Pages/Shared/Problem.cshtml";

    public IActionResult ToResult(ActionContext context) => new ViewResult
    {
        ViewName = ViewName,
        StatusCode = Status,
        ViewData = new ViewDataDictionary<ProblemModel>(context.HttpContext.RequestServices.GetRequiredService<IModelMetadataProvider>(),
            new ModelStateDictionary()) { Model = this },
    };

    /// <summary>A domain refusal or failure as a page: the title by kind, the service's message translated, the rule explained when known.</summary>
    public static ProblemModel Of(Core.Errors.HygieException e, ConsoleText t)
    {
        var explanation = t.Code("rule", e.Code);
        var detail = t.Message(e.Message);
        return new ProblemModel(e.Status, t[$"problem.title.{Kind(e.Status)}"], explanation != e.Code ? explanation : detail, e.Code,
            explanation != e.Code ? detail : null);
    }

    public static string Kind(int status) => status switch { 400 or 403 or 404 or 409 or 422 => status.ToString(), >= 500 => "500", _ => "400" };
}
