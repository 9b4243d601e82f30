using Hygie.Core.Errors;
using Hygie.Ingest.BuiltIn;
using Hygie.Ingest.Schemas;
using Hygie.Synthetic.Cohort;

namespace Hygie.Synthetic.Snds;

/// <summary>
/// The rows of one core table. Its columns are the hub's own definition (<see cref="BuiltInTables"/>), in that order;
/// the columns the generator models are the members of <typeparamref name="TColumn"/>, named as the table names them,
/// and every other column is written empty. A modelled column missing from the definition is a programming error,
/// refused when the writer is built.
/// </summary>
internal abstract class TableRows<TColumn> : ITableRows where TColumn : struct, Enum
{
    protected TableRows(string table, int year)
    {
        Schema = BuiltInTables.Find(table) ?? throw new HubStateException($"the built-in definitions have no table {table}");
        Year = year;
        var modelled = Enum.GetNames<TColumn>();
        foreach (var name in modelled)
            if (Schema.Field(name) is null) throw new HubStateException($"synthetic {table}: column {name} is not in the table's definition");
        Columns = Schema.Fields.Select(f => Enum.TryParse<TColumn>(f.Name, ignoreCase: false, out var c) ? Convert.ToInt32(c, System.Globalization.CultureInfo.InvariantCulture) : -1).ToArray();
    }

    public TableSchema Schema { get; }

    public string Table => Schema.Name;

    protected int Year { get; }

    /// <summary>Per column of the definition: the modelled column's number, or −1 (written empty).</summary>
    protected int[] Columns { get; }

    public IEnumerable<string> Header => Schema.Fields.Select(f => f.Name);

    public abstract long Write(CohortMember member, CsvRowWriter w, long max);
}

/// <summary>Writes a person's rows of one table.</summary>
internal interface ITableRows
{
    string Table { get; }

    TableSchema Schema { get; }

    IEnumerable<string> Header { get; }

    /// <summary>Writes at most <paramref name="max"/> rows for the person; returns how many.</summary>
    long Write(CohortMember member, CsvRowWriter w, long max);
}
