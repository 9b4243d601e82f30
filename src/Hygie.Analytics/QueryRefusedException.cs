using Hygie.Core.Errors;

namespace Hygie.Analytics;

/// <summary>A query the workspace will not run or could not finish: the reason, never the data.</summary>
public sealed class QueryRefusedException(string message, string code) : HygieException(code, message)
{
    public override int Status => Code is "query-timeout" or "query-memory" ? 422 : 400;
}
