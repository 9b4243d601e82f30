using System.Security.Cryptography;
using System.Text;
using Hygie.Core.Audit;

namespace Hygie.Core.Tests;

/// <summary>An audit chain handed from one signing key to another (the hub moved out of an HSM) verifies end to end, and only when the hand-over is genuine.</summary>
public sealed class AuditKeyTransitionTests
{
    private static readonly DateTimeOffset T = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    private sealed class Export(ECDsa first)
    {
        private readonly StringBuilder _lines = new();
        private long _seq;
        private string _prev = AuditChain.Genesis;
        private ECDsa _key = first;
        public List<byte[]> Keys { get; } = [first.ExportSubjectPublicKeyInfo()];

        public Export Event(string action = "test.event")
        {
            var canonical = AuditChain.Canonical(++_seq, T.AddSeconds(_seq), new AuditEntry("tester", action, "x"), _prev);
            _prev = AuditChain.Hash(canonical);
            _lines.Append(AuditChain.ExportLine(canonical, _prev)).Append('\n');
            return this;
        }

        public Export Checkpoint()
        {
            var time = T.AddSeconds(_seq).AddMilliseconds(1);
            var signature = Convert.ToBase64String(_key.SignHash(AuditChain.CheckpointDigest(_seq, _prev, time)));
            _lines.Append(AuditExportVerifier.CheckpointLine(new AuditCheckpoint(_seq, _prev, time, "k", signature))).Append('\n');
            return this;
        }

        /// <summary>Hands the chain to <paramref name="next"/>, endorsed by <paramref name="endorser"/> (the current key unless forging).</summary>
        public Export Transition(ECDsa next, ECDsa? endorser = null)
        {
            var to = next.ExportSubjectPublicKeyInfo();
            var canonical = AuditChain.Canonical(++_seq, T.AddSeconds(_seq), new AuditEntry("operator", AuditChain.KeyTransitionAction, "new-key",
                Details: new Dictionary<string, string>
                {
                    ["fromPublicKey"] = Convert.ToBase64String(_key.ExportSubjectPublicKeyInfo()), ["toPublicKey"] = Convert.ToBase64String(to),
                    ["endorsement"] = Convert.ToBase64String((endorser ?? _key).SignHash(AuditChain.KeyTransitionDigest(_prev, to))),
                }), _prev);
            _prev = AuditChain.Hash(canonical);
            _lines.Append(AuditChain.ExportLine(canonical, _prev)).Append('\n');
            _key = next;
            Keys.Add(to);
            return Checkpoint();
        }

        public MemoryStream Signed(bool listKeys = true)
        {
            var header = new ExportHeader("hub", T.AddHours(1), 1, _seq, _prev, "k", _key.ExportSubjectPublicKeyInfo(),
                _key.SignHash(AuditChain.ExportDigest(1, _seq, _prev, T.AddHours(1)))) { KeyHistory = listKeys ? Keys : null };
            return new MemoryStream(Encoding.UTF8.GetBytes(header.ToLine() + "\n" + _lines));
        }
    }

    [Fact]
    public void A_chain_handed_over_verifies_with_the_old_key_or_the_new_one_and_not_with_another()
    {
        using var old = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var next = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var export = new Export(old).Event().Event().Checkpoint().Transition(next).Event().Checkpoint();

        var withOld = AuditExportVerifier.Verify(export.Signed(), old.ExportSubjectPublicKeyInfo());
        Assert.True(withOld.Intact, withOld.Problem);
        Assert.Equal((4L, 3L, 1), (withOld.Events, withOld.Checkpoints, withOld.KeyTransitions));
        Assert.True(AuditExportVerifier.Verify(export.Signed(), next.ExportSubjectPublicKeyInfo()).Intact);
        var withStranger = AuditExportVerifier.Verify(export.Signed(), stranger.ExportSubjectPublicKeyInfo());
        Assert.False(withStranger.Intact);
        Assert.Contains("not by the trusted key", withStranger.Problem);
    }

    [Fact]
    public void A_hand_over_not_endorsed_by_the_previous_key_is_refused_naming_the_event()
    {
        using var old = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var forger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var export = new Export(old).Event().Checkpoint().Transition(forger, endorser: forger).Event().Checkpoint();
        var result = AuditExportVerifier.Verify(export.Signed(), old.ExportSubjectPublicKeyInfo());
        Assert.False(result.Intact);
        Assert.Equal(2, result.BrokenSeq);
        Assert.Contains("without the previous key's valid endorsement", result.Problem);
    }

    [Fact]
    public void An_export_that_hides_the_key_history_fails_on_the_old_key_s_checkpoints()
    {
        using var old = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var next = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var export = new Export(old).Event().Checkpoint().Transition(next).Event().Checkpoint();
        var result = AuditExportVerifier.Verify(export.Signed(listKeys: false));
        Assert.False(result.Intact);
        Assert.Contains("invalid signature", result.Problem);
    }
}
