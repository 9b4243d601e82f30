using Hygie.Core.Errors;
using Microsoft.AspNetCore.Html;

namespace Hygie.Web.Console;

/// <summary>
/// The services' refusals of a form, each by the field it names (<c>period.to</c>, <c>legalBasis.number</c>, or the
/// group of <c>datasets[0].tables[1].columns[2]</c>), in the page's language; <see cref="General"/> when no field applies.
/// </summary>
public sealed class FormErrors
{
    private readonly Dictionary<string, string> _byField = new(StringComparer.OrdinalIgnoreCase);

    public string? General { get; private set; }
    public int? Status { get; private set; }
    public bool Any => General is not null || _byField.Count > 0;

    public string? this[string field] => _byField.GetValueOrDefault(field);

    public void Add(HygieException e, ConsoleText t, Func<string, string>? fieldOf = null)
    {
        Status ??= e.Status;
        var message = t.Message(e.Message);
        if (e is ValidationFailedException { Field: { } field })
        {
            var key = fieldOf?.Invoke(field) ?? Group(field);
            _byField.TryAdd(key, message);
            return;
        }
        // A bad input that names no field (a refused query) belongs to the form's one input, when the form says which.
        if (fieldOf is not null && e.Status is 400 or 422)
        {
            _byField.TryAdd(fieldOf(e.Code), message);
            return;
        }
        var rule = t.Code("rule", e.Code);
        General = rule != e.Code ? $"{rule} ({message})" : message;
    }

    public void Add(string field, string message)
    {
        Status ??= 400;
        _byField.TryAdd(field, message);
    }

    /// <summary><c>datasets[0].tables[1].columns[2]</c> → <c>datasets</c>; <c>members[3]</c> → <c>members</c>; <c>legalBasis.number</c> as is.</summary>
    public static string Group(string field)
    {
        var bracket = field.IndexOf('[');
        return bracket > 0 ? field[..bracket] : field;
    }

    /// <summary>The message shown next to a field, tied to it by <c>aria-describedby="error-FIELD"</c>.</summary>
    public IHtmlContent For(string field)
    {
        if (this[field] is not { } message) return HtmlString.Empty;
        var builder = new HtmlContentBuilder();
        builder.AppendHtml($"<p class=\"field-error\" id=\"{Id(field)}\">");
        builder.Append(message);
        builder.AppendHtml("</p>");
        return builder;
    }

    public static string Id(string field) => "error-" + field.Replace('.', '-');

    /// <summary>Attributes for the input: described by its error and marked invalid when it has one.</summary>
    public IHtmlContent Aria(string field) => this[field] is null
        ? HtmlString.Empty
        : new HtmlString($"aria-invalid=\"true\" aria-describedby=\"{Id(field)}\"");
}
