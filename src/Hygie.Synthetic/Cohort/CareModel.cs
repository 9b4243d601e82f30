namespace Hygie.Synthetic.Cohort;

/// <summary>
/// Draws a person's year of care: consultations (more with age and chronic conditions), pharmacy deliveries after
/// them and every month for chronic treatments, nursing for the elderly, the flu vaccine after 65, hospital stays
/// (a birth stay for the newborn, deliveries, age-dependent reasons) and, for those who die, the cause and place —
/// in hospital, the last stay ends on the day of death. Every care date lies between birth and death.
/// </summary>
internal sealed class CareModel(int year)
{
    private struct Visit
    {
        public ActKind Kind;
        public DateOnly Start, End;
        public DateOnly? Prescribed;
        public string Executant;
        public string? Prescriber;
        public int Specialty;
        public int Quantity;
        public decimal Coefficient;
        public long ExcessCents;
        public int FirstItem, ItemCount;
        public int Sequence;
    }

    private static readonly int[] PharmacyRates = [65, 30, 15, 100];
    private static readonly double[] AcuteWeights = SyntheticRandom.Cumulative([30, 10, 12, 6, 8, 4, 5, 3, 4]);
    private static readonly decimal[] AmiCoefficients = [1m, 1.5m, 2m, 3m];
    private static readonly double[] FluxDelay = SyntheticRandom.Cumulative([70, 20, 10]);

    private readonly DateOnly _first = new(year, 1, 1);
    private readonly DateOnly _last = new(year, 12, 31);
    private readonly List<Visit> _visits = [];
    private readonly List<(int Medicine, int Boxes)> _items = [];
    private readonly List<HospitalStay> _stays = [];
    private long _nextDecompte = 100_000_001;
    private long _nextRsa = 1;

    public void Draw(SyntheticPerson p, CareHistory h, ref SyntheticRandom r)
    {
        _visits.Clear();
        _items.Clear();
        _stays.Clear();
        var from = p.Birth > _first ? p.Birth : _first;
        var to = p.Death ?? _last;
        var share = (to.DayNumber - from.DayNumber + 1) / 365.0;
        var age = year - p.Birth.Year;
        var frailty = Math.Exp(0.5 * r.Normal() - 0.125);
        var pharmacy = Professionals.Number(p.Departement, Professionals.Pharmacy, r.Next(100));

        for (var i = 0; i < Nomenclatures.Chronic.Length; i++)
        {
            var c = Nomenclatures.Chronic[i];
            if (age >= c.FromAge && r.Chance(c.Prevalence * Math.Min(1.6, 0.4 + (age - c.FromAge) / 40.0))) h.Chronic.Add(i);
        }

        Consultations(p, h, ref r, from, to, age, frailty, share, pharmacy);
        Specialists(p, h, ref r, from, to, age, frailty, share);
        ChronicTreatments(p, h, ref r, from, to, pharmacy);
        Nursing(p, h, ref r, from, to, age, frailty, share);
        if (age >= 65 && r.Chance(0.52))
        {
            var start = new DateOnly(year, 10, 15);
            if (start < from) start = from;
            if (start <= to) Add(new Visit { Kind = ActKind.FluVaccine, Start = Day(ref r, start, to), Executant = pharmacy, Quantity = 1, Coefficient = 1 });
        }
        Stays(p, h, ref r, from, to, age, frailty, share);
        Claims(p, h, ref r);
    }

    private void Add(Visit v)
    {
        v.End = v.End == default ? v.Start : v.End;
        v.Sequence = _visits.Count;
        _visits.Add(v);
    }

    private bool Holds(int first, int medicine)
    {
        for (var i = first; i < _items.Count; i++) if (_items[i].Medicine == medicine) return true;
        return false;
    }

    private static DateOnly Day(ref SyntheticRandom r, DateOnly from, DateOnly to) => from.AddDays(r.Next(to.DayNumber - from.DayNumber + 1));

    private static DateOnly NotBefore(DateOnly date, DateOnly floor) => date < floor ? floor : date;

    private void Consultations(SyntheticPerson p, CareHistory h, ref SyntheticRandom r, DateOnly from, DateOnly to, int age, double frailty, double share, string pharmacy)
    {
        var rate = age switch { < 2 => 8.0, < 6 => 5.0, < 40 => 2.5, < 60 => 3.5, < 75 => 5.5, _ => 7.5 } + 1.5 * h.Chronic.Count;
        var count = Math.Min(60, r.Poisson(rate * frailty * share));
        for (var i = 0; i < count; i++)
        {
            var day = Day(ref r, from, to);
            var doctor = r.Chance(0.85) ? p.GeneralPractitioner : Professionals.Number(p.Departement, Professionals.Physician, r.Next(300));
            Add(new Visit { Kind = ActKind.GeneralPractitioner, Start = day, Executant = doctor, Specialty = Nomenclatures.GeneralPractice.Code, Quantity = 1, Coefficient = 1 });
            if (!r.Chance(0.62)) continue;
            var delivered = r.Chance(0.8) ? day : day.AddDays(1);
            if (delivered > to) continue;
            var first = _items.Count;
            var medicines = Math.Min(3, 1 + r.Poisson(0.6));
            for (var m = 0; m < medicines; m++)
            {
                var medicine = r.Pick(AcuteWeights);
                if (age < 15 && medicine == 8) medicine = 0; // no anxiolytic for children
                if (!Holds(first, medicine)) _items.Add((medicine, r.Chance(0.3) ? 2 : 1));
            }
            Add(new Visit
            {
                Kind = ActKind.Pharmacy, Start = delivered, Prescribed = day, Executant = pharmacy, Prescriber = doctor,
                FirstItem = first, ItemCount = _items.Count - first,
            });
        }
    }

    private void Specialists(SyntheticPerson p, CareHistory h, ref SyntheticRandom r, DateOnly from, DateOnly to, int age, double frailty, double share)
    {
        var woman = p.Sex == 2 && age is >= 15 and <= 70;
        var rate = 0.7 + (age >= 50 ? 0.7 : 0) + 0.5 * h.Chronic.Count + (woman ? 0.6 : 0) + (age < 15 ? 0.6 : 0);
        var count = Math.Min(20, r.Poisson(rate * frailty * share));
        for (var i = 0; i < count; i++)
        {
            var x = r.NextDouble();
            var specialty =
                age < 15 ? (x < 0.7 ? Nomenclatures.Paediatrics : x < 0.85 ? Nomenclatures.Ophthalmology : Nomenclatures.Dermatology)
                : woman && x < 0.4 ? Nomenclatures.Gynaecology
                : h.Chronic.Contains(0) || h.Chronic.Contains(3) ? (x < 0.6 ? Nomenclatures.Cardiology : Nomenclatures.Ophthalmology)
                : h.Chronic.Contains(4) && x < 0.7 ? Nomenclatures.Psychiatry
                : x < 0.45 ? Nomenclatures.Ophthalmology : x < 0.75 ? Nomenclatures.Dermatology : Nomenclatures.Cardiology;
            var doctor = Professionals.Number(p.Departement, Professionals.Physician, 1000 + specialty.Code * 20 + r.Next(20));
            Add(new Visit
            {
                Kind = ActKind.Specialist, Start = Day(ref r, from, to), Executant = doctor, Specialty = specialty.Code, Quantity = 1, Coefficient = 1,
                ExcessCents = r.Chance(0.35) ? 500L * r.Between(1, 8) : 0,
            });
        }
    }

    private void ChronicTreatments(SyntheticPerson p, CareHistory h, ref SyntheticRandom r, DateOnly from, DateOnly to, string pharmacy)
    {
        if (h.Chronic.Count == 0) return;
        var day = from.AddDays(r.Next(30));
        while (day <= to)
        {
            var first = _items.Count;
            foreach (var c in h.Chronic)
                foreach (var m in Nomenclatures.Chronic[c].Medicines)
                    if (!Holds(first, m)) _items.Add((m, 1));
            Add(new Visit
            {
                Kind = ActKind.Pharmacy, Start = day, Prescribed = NotBefore(day.AddDays(-r.Between(5, 90)), p.Birth),
                Executant = pharmacy, Prescriber = p.GeneralPractitioner, FirstItem = first, ItemCount = _items.Count - first,
            });
            day = day.AddDays(r.Between(28, 32));
        }
    }

    private void Nursing(SyntheticPerson p, CareHistory h, ref SyntheticRandom r, DateOnly from, DateOnly to, int age, double frailty, double share)
    {
        if (age < 75 && !(h.Chronic.Contains(1) && r.Chance(0.1))) return;
        var count = Math.Min(10, r.Poisson(1.2 * frailty * share));
        for (var i = 0; i < count; i++)
        {
            var start = Day(ref r, from, to);
            var end = start.AddDays(r.Between(2, 13));
            if (end > to) end = to;
            Add(new Visit
            {
                Kind = ActKind.Nursing, Start = start, End = end, Prescribed = NotBefore(start.AddDays(-r.Between(1, 10)), p.Birth),
                Executant = Professionals.Number(p.Departement, Professionals.Nurse, r.Next(150)), Prescriber = p.GeneralPractitioner,
                Quantity = end.DayNumber - start.DayNumber + 1, Coefficient = AmiCoefficients[r.Next(AmiCoefficients.Length)],
            });
        }
    }

    private void Stays(SyntheticPerson p, CareHistory h, ref SyntheticRandom r, DateOnly from, DateOnly to, int age, double frailty, double share)
    {
        var reasons = Nomenclatures.StayReasons;
        Span<double> weights = stackalloc double[reasons.Length];

        HospitalStay? last = null;
        if (p.Death is { } death && r.Chance(age == 0 ? 0.5 : age >= 50 ? 0.6 : 0.35))
        {
            // died in hospital: the last stay, for a reason that can kill, ends on the day of death
            double sum = 0;
            for (var i = 0; i < reasons.Length; i++)
                weights[i] = sum += Eligible(reasons[i], age, p.Sex) ? reasons[i].Weight * reasons[i].Lethality : 0;
            var reason = sum > 0 ? r.Pick(weights) : Array.FindIndex(reasons, x => x.Cim10 == "J189");
            var days = r.Between(Math.Max(1, reasons[reason].MinDays), Math.Max(1, reasons[reason].MaxDays));
            last = new HospitalStay { Reason = reason, Entry = NotBefore(death.AddDays(-days), from), Exit = death, EntryMode = '8', ExitMode = '9' };
            h.DeathCause = reasons[reason].Cim10;
            h.DeathPlace = 2;
        }
        var bound = last is { } l ? l.Entry.AddDays(-1) : to;

        if (p.Birth.Year == year)
            _stays.Add(new HospitalStay
            {
                Reason = -1, Entry = p.Birth, Exit = p.Birth.AddDays(r.Between(2, 4)), EntryMode = 'N', ExitMode = '8',
                BirthWeightGrams = r.Between(2500, 4300), GestationWeeks = r.Between(37, 41),
            });
        if (p.Sex == 2 && age is >= 18 and <= 44 && r.Chance(0.05))
        {
            var caesarean = r.Chance(0.2);
            var reason = Array.FindIndex(reasons, x => x.Cim10 == (caesarean ? "O820" : "O800"));
            var entry = Day(ref r, from, to);
            _stays.Add(new HospitalStay
            {
                Reason = reason, Entry = entry, Exit = entry.AddDays(r.Between(reasons[reason].MinDays, reasons[reason].MaxDays)),
                EntryMode = '8', ExitMode = '8', GestationWeeks = r.Between(37, 41),
            });
        }
        var rate = age switch { < 1 => 0.15, < 45 => 0.05, < 65 => 0.09, < 80 => 0.18, _ => 0.30 };
        var count = Math.Min(6, r.Poisson(rate * frailty * share));
        {
            double sum = 0;
            for (var i = 0; i < reasons.Length; i++)
                weights[i] = sum += Eligible(reasons[i], age, p.Sex) && !reasons[i].Cim10.StartsWith('O') ? reasons[i].Weight : 0;
            for (var i = 0; i < count && sum > 0; i++)
            {
                var reason = r.Pick(weights);
                var entry = Day(ref r, from, to);
                _stays.Add(new HospitalStay
                {
                    Reason = reason, Entry = entry, Exit = entry.AddDays(r.Between(reasons[reason].MinDays, reasons[reason].MaxDays)),
                    EntryMode = '8', ExitMode = r.Chance(0.05) ? '7' : '8',
                });
            }
        }

        // in date order, without overlaps, every day inside the person's life and the year
        _stays.Sort((a, b) => a.Entry.CompareTo(b.Entry));
        var previousExit = DateOnly.MinValue;
        var usual = r.Next(3);
        var number = 0;
        foreach (var candidate in last is { } final ? _stays.Append(final) : _stays)
        {
            var s = candidate;
            var length = s.Exit.DayNumber - s.Entry.DayNumber;
            if (s.ExitMode != '9')
            {
                // the stay of death is last and keeps its dates: the others end before it starts
                if (s.Entry <= previousExit) s.Entry = previousExit.AddDays(1);
                s.Exit = s.Entry.AddDays(length);
                if (s.Exit > bound) s.Exit = bound;
                if (s.Entry > s.Exit) continue;
            }
            previousExit = s.Exit;
            s.Hospital = Professionals.Hospital(p.Departement, r.Chance(0.8) ? usual : r.Next(3));
            s.Rsa = (_nextRsa++).ToString("D10", System.Globalization.CultureInfo.InvariantCulture);
            s.Number = ++number;
            s.FirstDiagnosis = h.Diagnoses.Count;
            if (s.Reason >= 0)
                foreach (var c in h.Chronic)
                    if (h.Diagnoses.Count - s.FirstDiagnosis < 3) h.Diagnoses.Add(Nomenclatures.Chronic[c].Cim10);
            s.DiagnosisCount = h.Diagnoses.Count - s.FirstDiagnosis;
            h.Stays.Add(s);
        }

        if (p.Death is not null && h.DeathCause is null)
        {
            var causes = Nomenclatures.DeathCauses;
            Span<double> cumulative = stackalloc double[causes.Length];
            double sum = 0;
            for (var i = 0; i < causes.Length; i++)
            {
                var c = causes[i];
                var fits = age >= c.MinAge && (c.Sex == 0 || c.Sex == p.Sex) && c.Cim10.StartsWith('P') == (age == 0);
                cumulative[i] = sum += fits ? c.Weight : 0;
            }
            h.DeathCause = sum > 0 ? causes[r.Pick(cumulative)].Cim10 : "R99";
            h.DeathPlace = h.DeathCause is "X59" or "V892" ? 5 : age >= 75 && r.Chance(0.45) ? 4 : r.Chance(0.9) ? 1 : 6;
        }
    }

    private static bool Eligible(StayReason reason, int age, int sex) =>
        age >= reason.MinAge && age <= reason.MaxAge && (reason.Sex == 0 || reason.Sex == sex);

    private void Claims(SyntheticPerson p, CareHistory h, ref SyntheticRandom r)
    {
        _visits.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Sequence.CompareTo(b.Sequence));
        foreach (var v in _visits)
        {
            var decompte = _nextDecompte++;
            // the flow that carries the claim is made available on the 1st of a month after the care ended
            var month = new DateOnly(v.End.Year, v.End.Month, 1);
            var disposal = month.AddMonths(1 + r.Pick(FluxDelay));
            var processed = disposal.AddDays(-r.Between(1, 20));
            if (processed < v.End) processed = v.End;
            var line = new ClaimLine
            {
                Kind = v.Kind, Start = v.Start, End = v.End, Prescribed = v.Prescribed, Executant = v.Executant, Prescriber = v.Prescriber,
                Specialty = v.Specialty, Activity = v.Kind == ActKind.Nursing ? Nomenclatures.NurseActivity : 0,
                Quantity = v.Quantity, Coefficient = v.Coefficient, Decompte = decompte, Line = 1, EmitterOrder = r.Between(1, 999),
                Disposal = disposal, Processed = processed,
            };
            var adult = p.AgeAt(v.Start) >= 18;
            switch (v.Kind)
            {
                case ActKind.GeneralPractitioner:
                case ActKind.Specialist:
                    line.Rate = 70;
                    line.BaseCents = v.Kind == ActKind.GeneralPractitioner ? Nomenclatures.ConsultationCents : Nomenclatures.SpecialistCents;
                    line.ReimbursedCents = line.BaseCents * 70 / 100 - (adult ? Nomenclatures.ParticipationCents : 0);
                    line.ExcessCents = v.ExcessCents;
                    line.PaidCents = line.BaseCents + v.ExcessCents;
                    Emit(h, line);
                    break;
                case ActKind.Nursing:
                    line.Rate = 60;
                    line.BaseCents = (long)Math.Round(Nomenclatures.AmiUnitCents * v.Coefficient * v.Quantity);
                    line.ReimbursedCents = line.BaseCents * 60 / 100;
                    line.PaidCents = line.BaseCents;
                    Emit(h, line);
                    break;
                case ActKind.FluVaccine:
                    line.Rate = 100;
                    line.BaseCents = line.ReimbursedCents = line.PaidCents = Nomenclatures.FluVaccineCents;
                    Emit(h, line);
                    break;
                case ActKind.Pharmacy:
                    // one claim line per reimbursement rate, each detailed by its medicines in ER_PHA_F
                    var number = 0;
                    foreach (var rate in PharmacyRates)
                    {
                        var pharmacyLine = line;
                        long total = 0;
                        var boxes = 0;
                        var firstDelivery = h.Deliveries.Count;
                        for (var i = v.FirstItem; i < v.FirstItem + v.ItemCount; i++)
                        {
                            var (m, n) = _items[i];
                            var medicine = Nomenclatures.Medicines[m];
                            if (medicine.Rate != rate) continue;
                            total += medicine.PriceCents * n;
                            boxes += n;
                            h.Deliveries.Add(new Delivery { Claim = h.Claims.Count, Medicine = m, Boxes = n, Order = h.Deliveries.Count - firstDelivery + 1 });
                        }
                        if (boxes == 0) continue;
                        pharmacyLine.Line = ++number;
                        pharmacyLine.Rate = rate;
                        pharmacyLine.Quantity = boxes;
                        pharmacyLine.BaseCents = pharmacyLine.PaidCents = total;
                        pharmacyLine.ReimbursedCents = total * rate / 100;
                        pharmacyLine.FirstDelivery = firstDelivery;
                        pharmacyLine.DeliveryCount = h.Deliveries.Count - firstDelivery;
                        Emit(h, pharmacyLine);
                    }
                    break;
            }
        }
    }

    private static void Emit(CareHistory h, ClaimLine line)
    {
        line.Nature = Nomenclatures.NatureOf(line.Kind, line.Rate);
        h.Claims.Add(line);
    }
}
