using System.Text.Json;

namespace Hygie.Core.Audit;

/// <summary>Reads an event back from its canonical JSON.</summary>
public static class AuditEventJson
{
    public static AuditEvent Parse(string canonical, string hash)
    {
        using var doc = JsonDocument.Parse(canonical);
        var r = doc.RootElement;
        var details = r.GetProperty("details").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
        var entry = new AuditEntry(
            r.GetProperty("actor").GetString()!, r.GetProperty("action").GetString()!, r.GetProperty("target").GetString()!,
            r.GetProperty("outcome").GetString()!, r.GetProperty("reason").GetString(), details);
        return new AuditEvent(r.GetProperty("seq").GetInt64(), AuditChain.ParseTime(r.GetProperty("time").GetString()!), entry,
            r.GetProperty("prev").GetString()!, hash);
    }
}
