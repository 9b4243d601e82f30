using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Hygie.Ingest.Columns;

namespace Hygie.Ingest.Csv;

/// <summary>
/// Reads the batches of a <see cref="SndsCsvReader"/> on a thread of its own, at most <c>depth</c> batches ahead of the
/// consumer, so that parsing one batch overlaps with de-identifying and writing the previous one (a deposit then uses
/// two cores). Batches come in input order; a reading error (<see cref="RowErrorsException"/>, a refused header, an I/O
/// error) is thrown by <see cref="ReadBatchAsync"/> after the batches read before it. Memory stays bounded: a batch
/// disposed by the consumer goes back to the reader for reuse. The reader's counters (<see cref="SndsCsvReader.RowsRead"/>,
/// <see cref="SndsCsvReader.Errors"/>…) are final once <see cref="ReadBatchAsync"/> has returned null.
/// </summary>
public sealed class BatchReadAhead : IAsyncDisposable
{
    private readonly Channel<RowBatch> _batches;
    private readonly CancellationTokenSource _stop;
    private readonly Task _producer;
    private Exception? _error;

    public BatchReadAhead(SndsCsvReader reader, int depth = 1, CancellationToken ct = default)
    {
        _batches = Channel.CreateBounded<RowBatch>(new BoundedChannelOptions(Math.Max(1, depth)) { SingleReader = true, SingleWriter = true });
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = _stop.Token;
        _producer = Task.Run(async () =>
        {
            try
            {
                while (await reader.ReadBatchAsync(token).ConfigureAwait(false) is { } batch)
                {
                    try { await _batches.Writer.WriteAsync(batch, token).ConfigureAwait(false); }
                    catch { batch.Dispose(); throw; }
                }
            }
            catch (Exception e)
            {
                _error = e;
            }
            finally
            {
                _batches.Writer.TryComplete();
            }
        }, CancellationToken.None);
    }

    /// <summary>The next batch, or null at the end of the input.</summary>
    public async ValueTask<RowBatch?> ReadBatchAsync(CancellationToken ct = default)
    {
        while (await _batches.Reader.WaitToReadAsync(ct).ConfigureAwait(false))
            if (_batches.Reader.TryRead(out var batch)) return batch;
        if (_error is { } e) ExceptionDispatchInfo.Throw(e);
        return null;
    }

    /// <summary>Stops reading (when the consumer gives up early) and waits for the reading thread to finish.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _producer.ConfigureAwait(false); } catch { /* its error was handed to the consumer, or nobody waits for it */ }
        while (_batches.Reader.TryRead(out var left)) left.Dispose();
        _stop.Dispose();
    }
}
