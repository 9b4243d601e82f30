using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;

namespace Hygie.Server.Auth;

public static class RoleAuthorization
{
    /// <summary>Requires an authenticated caller holding one of <paramref name="roles"/>; a refusal names them.</summary>
    public static TBuilder RequireRoles<TBuilder>(this TBuilder builder, params string[] roles) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(new AuthorizeAttribute { Roles = string.Join(',', roles) });
}
