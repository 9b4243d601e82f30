using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using Hygie.Ingest.Columns;

namespace Hygie.Ingest.Csv;

/// <summary>
/// Reads the batches of a <see cref="SndsCsvReader"/> on a thread of its own, one batch ahead of the consumer, so that
/// parsing the next batch overlaps with de-identifying and writing this one (a deposit then uses two cores). The next
/// batch is parsed only once the consumer has asked for this one: a consumer that disposes each batch before asking for
/// the next keeps two batches alive, no more (about 70 MB each for ER_PRS_F), and the reader reuses their arrays.
/// Batches come in input order; a reading error (<see cref="RowErrorsException"/>, a refused header, an I/O error) is
/// thrown by <see cref="ReadBatchAsync"/> after the batches read before it. The reader's counters
/// (<see cref="SndsCsvReader.RowsRead"/>, <see cref="SndsCsvReader.Errors"/>…) are final once
/// <see cref="ReadBatchAsync"/> has returned null.
/// </summary>
public sealed class BatchReadAhead : IAsyncDisposable
{
    private readonly Channel<RowBatch> _batches;
    private readonly CancellationTokenSource _stop;
    private readonly Task _producer;
    private readonly SemaphoreSlim _asked = new(1); // one batch may be parsed before the consumer asks for the first
    private Exception? _error;

    public BatchReadAhead(SndsCsvReader reader, CancellationToken ct = default)
    {
        _batches = Channel.CreateUnbounded<RowBatch>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var token = _stop.Token;
        _producer = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    await _asked.WaitAsync(token).ConfigureAwait(false);
                    if (await reader.ReadBatchAsync(token).ConfigureAwait(false) is not { } batch) break;
                    _batches.Writer.TryWrite(batch); // unbounded: never refused
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
        _asked.Release(); // the batch after the one taken now may be parsed
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
        _asked.Dispose();
    }
}
