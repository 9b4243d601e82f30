namespace Hygie.Ingest.Csv;

public enum RowErrorMode
{
    /// <summary>Any bad row refuses the whole input: reading stops yielding rows at the first error, collects up to
    /// <see cref="CsvReadOptions.MaxErrors"/> errors and throws <see cref="RowErrorsException"/>.</summary>
    Fail,
    /// <summary>Good rows go on in the batches; bad rows are set aside raw in <see cref="Columns.RowBatch.Quarantined"/>.</summary>
    Quarantine,
}
