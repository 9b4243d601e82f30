using System.Diagnostics;
using System.Security.Cryptography;
using Hygie.Storage.Sealing;

namespace Hygie.Bench;

/// <summary>Seal and unseal a 1 GiB stream, against raw AES-256-GCM over the same bytes in the same chunk size.</summary>
public static class SealBenchmark
{
    public static Task<int> RunAsync(string[] args)
    {
        const int chunk = SealedFormat.DefaultChunkSize;
        var total = (args.Length > 0 ? long.Parse(args[0]) : 1024L) << 20;
        var source = RandomNumberGenerator.GetBytes(64 << 20);
        var key = RandomNumberGenerator.GetBytes(32);
        var gib = total / (double)(1L << 30);

        // Baseline: AesGcm over the same bytes, chunk by chunk, no framing.
        var cipher = new byte[chunk];
        var tag = new byte[16];
        var nonce = new byte[12];
        using var gcm = new AesGcm(key, 16);
        var rawSeal = Time(() =>
        {
            for (long done = 0; done < total; done += chunk)
            {
                BitConverter.TryWriteBytes(nonce, done);
                gcm.Encrypt(nonce, source.AsSpan((int)(done % source.Length), chunk), cipher, tag);
            }
        });

        // Ours: the real sealing stream, into a sink that keeps nothing.
        var ourSeal = Time(() =>
        {
            using var sealing = new SealingStream(Stream.Null, "bench/object", "dataset-bench", key);
            for (long done = 0; done < total; done += chunk) sealing.Write(source.AsSpan((int)(done % source.Length), chunk));
            sealing.Finish();
        });

        // Unseal: seal once into memory, then read it back through the real unsealing stream.
        var sealedBytes = new MemoryStream((int)Math.Min(int.MaxValue, total + total / chunk * 16 + 4096));
        using (var sealing = new SealingStream(sealedBytes, "bench/object", "dataset-bench", key))
        {
            for (long done = 0; done < total; done += chunk) sealing.Write(source.AsSpan((int)(done % source.Length), chunk));
            sealing.Finish();
        }
        var buffer = sealedBytes.GetBuffer();
        var length = (int)sealedBytes.Length;

        // Baseline for opening: authenticated AesGcm decryption of 64 MiB of raw chunks, cycled over the same total.
        var rawChunks = source.Length / chunk;
        var rawCipher = new byte[source.Length];
        var rawTags = new byte[rawChunks * 16];
        for (var i = 0; i < rawChunks; i++)
        {
            BitConverter.TryWriteBytes(nonce, (long)i);
            gcm.Encrypt(nonce, source.AsSpan(i * chunk, chunk), rawCipher.AsSpan(i * chunk, chunk), rawTags.AsSpan(i * 16, 16));
        }
        var plain = new byte[chunk];
        var rawOpen = Time(() =>
        {
            for (long done = 0; done < total; done += chunk)
            {
                var i = (int)(done / chunk % rawChunks);
                BitConverter.TryWriteBytes(nonce, (long)i);
                gcm.Decrypt(nonce, rawCipher.AsSpan(i * chunk, chunk), rawTags.AsSpan(i * 16, 16), plain);
            }
        });
        var ourOpen = Time(() =>
        {
            using var stream = UnsealingStream.OpenAsync(new MemoryStream(buffer, 0, length, false), "bench/object",
                _ => Task.FromResult(key)).GetAwaiter().GetResult();
            var read = new byte[chunk];
            while (stream.Read(read) > 0) { }
        });

        var ok = Report.Ratio("seal", gib / ourSeal, gib / rawSeal, "GiB/s", 0.7)
               & Report.Ratio("unseal", gib / ourOpen, gib / rawOpen, "GiB/s", 0.7);
        return Task.FromResult(ok ? 0 : 1);
    }

    private static double Time(Action action)
    {
        var sw = Stopwatch.StartNew();
        action();
        return sw.Elapsed.TotalSeconds;
    }
}
