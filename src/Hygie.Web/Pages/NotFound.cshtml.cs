using Microsoft.AspNetCore.Mvc;

namespace Hygie.Web.Pages;

/// <summary>Any console path with no page: a 404 page in the reader's language.</summary>
public sealed class NotFoundModel : ConsolePage
{
    public IActionResult OnGet()
    {
        Response.StatusCode = 404;
        return Page();
    }

    public IActionResult OnPost() => OnGet();
}
