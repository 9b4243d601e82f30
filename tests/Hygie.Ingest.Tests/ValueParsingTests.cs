using System.Text;
using Hygie.Ingest.Values;

namespace Hygie.Ingest.Tests;

public class ValueParsingTests
{
    private static ReadOnlySpan<byte> U(string s) => Encoding.UTF8.GetBytes(s);

    [Theory]
    [InlineData("24/11/1991", 1991, 11, 24)]        // %d/%m/%Y
    [InlineData("4/1/1991", 1991, 1, 4)]
    [InlineData("24111991", 1991, 11, 24)]          // %d%m%Y
    [InlineData("19911124", 1991, 11, 24)]          // yyyyMMdd when ddMMyyyy is no date
    [InlineData("06DEC1959", 1959, 12, 6)]          // SAS DATE9.
    [InlineData("06DEC1959:00:00:00", 1959, 12, 6)] // SAS DATETIME20.
    [InlineData("11Jun1990:15:47:24", 1990, 6, 11)] // a datetime in a date column keeps its date
    [InlineData("29feb2000:00:00:00", 2000, 2, 29)]
    [InlineData("1991-11-24", 1991, 11, 24)]
    [InlineData("1991-11-24T15:47:24", 1991, 11, 24)]
    [InlineData(" 24/11/1991 ", 1991, 11, 24)]
    [InlineData("01/01/1600", 1600, 1, 1)]           // the SNDS sentinel
    [InlineData("01JAN1600:00:00:00", 1600, 1, 1)]
    public void Dates_in_every_snds_format(string text, int y, int m, int d)
    {
        Assert.True(SndsValueParser.TryParseDate(U(text), out var days));
        Assert.Equal(new DateOnly(y, m, d), SndsDates.ToDate(days));
    }

    [Theory]
    [InlineData("31/02/2019")]
    [InlineData("24/13/1991")]
    [InlineData("29feb2001:00:00:00")]
    [InlineData("06DEX1959:00:00:00")]
    [InlineData("11Jun1990:25:47:24")]
    [InlineData("11Jun1990:15:4")]
    [InlineData("11Jun1990 15h47")]
    [InlineData("1991-11-24X")]
    [InlineData("1991/11/24")]
    [InlineData("2411199")]
    [InlineData("24111991 ")]  // trailing space is trimmed: valid, see below
    [InlineData("abcdefgh")]
    [InlineData("24/11/91")]
    [InlineData("01/01/0999")]
    public void Not_dates(string text)
    {
        if (text == "24111991 ") { Assert.True(SndsValueParser.TryParseDate(U(text), out _)); return; }
        Assert.False(SndsValueParser.TryParseDate(U(text), out _));
    }

    [Theory]
    [InlineData("11Jun1990:15:47:24", "1990-06-11T15:47:24")]
    [InlineData("06DEC1959:00:00:00", "1959-12-06T00:00:00")]
    [InlineData("1904-05-22T17:47:16Z", "1904-05-22T17:47:16")]
    [InlineData("1904-05-22 17:47:16.250", "1904-05-22T17:47:16.25")]
    [InlineData("13/02/2005", "2005-02-13T00:00:00")]
    [InlineData("13/02/2005 08:30:00", "2005-02-13T08:30:00")]
    [InlineData("13022005", "2005-02-13T00:00:00")]
    public void Datetimes(string text, string iso)
    {
        Assert.True(SndsValueParser.TryParseDateTime(U(text), out var micros));
        Assert.Equal(DateTime.Parse(iso, System.Globalization.CultureInfo.InvariantCulture), SndsDates.ToDateTime(micros));
    }

    [Fact]
    public void The_1600_sentinel_is_kept_as_a_recognizable_value()
    {
        Assert.True(SndsValueParser.TryParseDate(U("01/01/1600"), out var days));
        Assert.Equal(SndsDates.MissingDate, days);
        Assert.True(SndsDates.IsMissingSentinel(days));
        Assert.Equal(new DateOnly(1600, 1, 1), SndsDates.ToDate(days));
        Assert.True(SndsValueParser.TryParseDateTime(U("01JAN1600:00:00:00"), out var micros));
        Assert.True(SndsDates.IsMissingSentinel(micros));
        Assert.True(SndsValueParser.TryParseDate(U("02/01/1600"), out var next));
        Assert.False(SndsDates.IsMissingSentinel(next));
    }

    [Theory]
    [InlineData("0", 0L)]
    [InlineData("-9", -9L)]
    [InlineData("+12", 12L)]
    [InlineData("3400921604696", 3400921604696L)]
    [InlineData("40.00", 40L)]
    [InlineData("40,0", 40L)]
    [InlineData("  7 ", 7L)]
    [InlineData("9223372036854775807", long.MaxValue)]
    [InlineData("-9223372036854775808", long.MinValue)]
    public void Integers(string text, long expected)
    {
        Assert.True(SndsValueParser.TryParseInt64(U(text), out var v));
        Assert.Equal(expected, v);
    }

    [Theory]
    [InlineData("12.5")]
    [InlineData("1_5")]
    [InlineData("MB1")]
    [InlineData("-")]
    [InlineData("1e3")]
    [InlineData("9223372036854775808")]
    [InlineData("1 000")]
    [InlineData("40.")]
    public void Not_integers(string text) => Assert.False(SndsValueParser.TryParseInt64(U(text), out _));

    [Theory]
    [InlineData("12.5", 12.5)]
    [InlineData("12,5", 12.5)]
    [InlineData("-0.01", -0.01)]
    [InlineData("7", 7.0)]
    [InlineData(".5", 0.5)]
    [InlineData("5704.74572", 5704.74572)]
    [InlineData("4818122750023768.0", 4818122750023768.0)]
    [InlineData("6.8096301386771784e+16", 6.8096301386771784e+16)]
    [InlineData("1E-3", 0.001)]
    [InlineData("0.1", 0.1)]
    [InlineData("123456789012.345", 123456789012.345)]
    public void Numbers_with_a_comma_or_a_point(string text, double expected)
    {
        Assert.True(SndsValueParser.TryParseDouble(U(text), out var v));
        Assert.Equal(expected, v);
    }

    [Theory]
    [InlineData("1,234.5")]
    [InlineData("1.2.3")]
    [InlineData("abc")]
    [InlineData(".")]
    [InlineData("NaN")]
    [InlineData("1e400")]
    public void Not_numbers(string text) => Assert.False(SndsValueParser.TryParseDouble(U(text), out _));

    [Fact]
    public void The_fast_number_path_agrees_with_the_runtime()
    {
        var random = new Random(7);
        for (var i = 0; i < 20_000; i++)
        {
            var text = (random.NextDouble() * Math.Pow(10, random.Next(0, 12))).ToString("F" + random.Next(0, 6), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(SndsValueParser.TryParseDouble(U(text), out var v));
            Assert.Equal(double.Parse(text, System.Globalization.CultureInfo.InvariantCulture), v);
        }
    }

    [Theory]
    [InlineData("True", true)]
    [InlineData("False", false)]
    [InlineData("true", true)]
    [InlineData("false", false)]
    [InlineData("TRUE", true)]
    [InlineData("1", true)]
    [InlineData("0", false)]
    public void Booleans(string text, bool expected)
    {
        Assert.True(SndsValueParser.TryParseBoolean(U(text), out var v));
        Assert.Equal(expected, v);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("yes")]
    [InlineData("T")]
    [InlineData("Truee")]
    public void Not_booleans(string text) => Assert.False(SndsValueParser.TryParseBoolean(U(text), out _));

    [Fact]
    public void Years_year_months_and_months()
    {
        Assert.True(SndsValueParser.TryParseYear(U("1962"), out var y));
        Assert.Equal(1962, y);
        Assert.False(SndsValueParser.TryParseYear(U("62"), out _));
        Assert.True(SndsValueParser.TryParseYearMonth(U("200911"), out var ym));
        Assert.Equal(200911, ym);
        Assert.True(SndsValueParser.TryParseYearMonth(U("2009-11"), out ym));
        Assert.Equal(200911, ym);
        Assert.False(SndsValueParser.TryParseYearMonth(U("200913"), out _));
        Assert.True(SndsValueParser.TryParseMonth(U("05"), out var m));
        Assert.Equal(5, m);
        Assert.True(SndsValueParser.TryParseMonth(U("12"), out m));
        Assert.False(SndsValueParser.TryParseMonth(U("13"), out _));
        Assert.False(SndsValueParser.TryParseMonth(U("00"), out _));
    }
}
