namespace Hygie.Ingest.Values;

/// <summary>
/// How dates travel in row batches, and the SNDS missing-date sentinel.
/// <para>A date is an <c>int</c>: days since 1970-01-01 (Parquet's DATE). A datetime is a <c>long</c>: microseconds since
/// 1970-01-01T00:00:00, no time zone (Parquet's TIMESTAMP_MICROS, not adjusted to UTC).</para>
/// <para>The SNDS writes an unknown date as 1600-01-01. It is kept as that value, not turned into null: null means the
/// cell was empty, the sentinel means the source declared the date unknown. <see cref="MissingDate"/> (days) and
/// <see cref="MissingDateTime"/> (µs) recognize it; de-identification never moves or generalizes it.</para>
/// </summary>
public static class SndsDates
{
    public const int EpochDayNumber = 719162; // new DateOnly(1970, 1, 1).DayNumber

    public static readonly DateOnly MissingDateValue = new(1600, 1, 1);

    /// <summary>1600-01-01 in days since 1970-01-01 (−135140).</summary>
    public static readonly int MissingDate = MissingDateValue.DayNumber - EpochDayNumber;

    /// <summary>1600-01-01T00:00:00 in microseconds since 1970-01-01.</summary>
    public static readonly long MissingDateTime = (long)MissingDate * MicrosPerDay;

    public const long MicrosPerDay = 86_400_000_000L;

    public static DateOnly ToDate(int epochDays) => DateOnly.FromDayNumber(epochDays + EpochDayNumber);

    public static int FromDate(DateOnly date) => date.DayNumber - EpochDayNumber;

    public static DateTime ToDateTime(long epochMicros) => DateTime.UnixEpoch.AddTicks(epochMicros * 10);

    public static long FromDateTime(DateTime value) => (value.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    /// <summary>True for the 1600-01-01 sentinel (date) .</summary>
    public static bool IsMissingSentinel(int epochDays) => epochDays == MissingDate;

    /// <summary>True for a datetime on the sentinel day (any time of day).</summary>
    public static bool IsMissingSentinel(long epochMicros) => epochMicros >= MissingDateTime && epochMicros < MissingDateTime + MicrosPerDay;
}
