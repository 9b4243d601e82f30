using System.Globalization;
using System.Text.Json;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hygie.Synthetic.Cohort;

namespace Hygie.Synthetic.Fhir;

/// <summary>One patient's transaction Bundle, and the cohort person it stands for.</summary>
public sealed record PatientBundle(long PersonIndex, string BenNirPsa, Bundle Bundle)
{
    public int Resources => Bundle.Entry.Count;
}

/// <summary>
/// The patients a clinic would hold for a cohort: the persons who were in hospital or saw a specialist, each as an
/// R4 <c>transaction</c> Bundle built with the Firely SDK — Patient (identified by BEN_NIR_PSA under
/// <see cref="BenNirPsaSystem"/> and by an INS-NIR), an Encounter per stay and per specialist consultation, the
/// stays' diagnoses and chronic conditions, LOINC vital signs, chronic prescriptions, surgical procedures and
/// immunizations, all on the dates the SNDS tables hold. Entries are POSTed with <c>urn:uuid</c> full URLs drawn
/// from the seed, so a bundle is the same bytes for the same seed.
/// </summary>
public sealed class PatientBundles(SyntheticCohort cohort)
{
    /// <summary>The hub's identifier system for a person's BEN_NIR_PSA: FHIR deposits link patients to SNDS claims through it.</summary>
    public const string BenNirPsaSystem = "urn:hygie:snds:ben-nir-psa";

    /// <summary>The INS-NIR (matricule INS from the NIR), OID 1.2.250.1.213.1.4.8.</summary>
    public const string InsNirSystem = "urn:oid:1.2.250.1.213.1.4.8";

    /// <summary>The synthetic clinic's own patient number (IPP).</summary>
    public const string ClinicPatientSystem = "urn:hygie:synthetic:ipp";

    private const ulong FhirStream = 4;
    private const string Loinc = "http://loinc.org", Ucum = "http://unitsofmeasure.org", Snomed = "http://snomed.info/sct";
    private const string Icd10 = "http://hl7.org/fhir/sid/icd-10", Atc = "http://www.whocc.no/atc", Cvx = "http://hl7.org/fhir/sid/cvx";

    private static readonly FhirJsonSerializer Serializer = new();
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The bundles of the first <paramref name="patients"/> persons of the cohort a clinic would know, in cohort order.</summary>
    public IEnumerable<PatientBundle> Take(int patients)
    {
        if (patients <= 0) yield break;
        var found = 0;
        foreach (var member in cohort.Members())
        {
            if (!member.History.SeenAtClinic) continue;
            yield return Build(member, cohort.Options);
            if (++found == patients) yield break;
        }
    }

    public static byte[] Serialize(Bundle bundle)
    {
        using var buffer = new MemoryStream(16 * 1024);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions)) Serializer.Serialize(bundle, writer);
        return buffer.ToArray();
    }

    public static PatientBundle Build(CohortMember member, CohortOptions options)
    {
        var p = member.Person;
        var h = member.History;
        var r = new SyntheticRandom((ulong)options.Seed, (ulong)p.Index, FhirStream);
        var bundle = new Bundle { Type = Bundle.BundleType.Transaction };
        var context = new Builder(bundle, p, h, r, options.Year);
        context.Fill();
        return new PatientBundle(p.Index, p.BenNirPsa, bundle);
    }

    private sealed class Builder(Bundle bundle, SyntheticPerson p, CareHistory h, SyntheticRandom r, int year)
    {
        private SyntheticRandom _r = r;
        private string _patient = "";
        private double _bmi;

        public void Fill()
        {
            _patient = Add(Patient(), "Patient");
            _bmi = Math.Clamp(25 + 4 * _r.Normal(), 17, 45);
            foreach (var c in h.Chronic) Add(ChronicCondition(Nomenclatures.Chronic[c]), "Condition");

            foreach (var stay in h.Stays) AddStay(stay);
            var consultations = 0;
            foreach (var claim in h.Claims)
            {
                if (claim.Kind != ActKind.Specialist || consultations++ >= 3) continue;
                var encounter = Add(Encounter("AMB", "ambulatory", "11429006", "Consultation", claim.Start, claim.Start, null), "Encounter");
                Vitals(encounter, claim.Start, inpatient: false, null);
            }
            Prescriptions();
            Immunizations();
        }

        private string Uuid()
        {
            Span<byte> bytes = stackalloc byte[16];
            BitConverter.TryWriteBytes(bytes, _r.NextUInt64());
            BitConverter.TryWriteBytes(bytes[8..], _r.NextUInt64());
            bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
            bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
            return "urn:uuid:" + new Guid(bytes).ToString();
        }

        private string Add(Resource resource, string type)
        {
            var fullUrl = Uuid();
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = fullUrl,
                Resource = resource,
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = type },
            });
            return fullUrl;
        }

        private ResourceReference Subject => new(_patient);

        private static string Day(DateOnly d) => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

        private static CodeableConcept Concept(string system, string code, string display) => new() { Coding = [new Coding(system, code, display)] };

        private Patient Patient()
        {
            var patient = new Patient
            {
                Identifier =
                [
                    new Identifier(BenNirPsaSystem, p.BenNirPsa),
                    new Identifier(InsNirSystem, p.NirWithKey)
                    {
                        Use = Identifier.IdentifierUse.Official,
                        Type = Concept("https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203", "INS-NIR", "NIR définitif"),
                    },
                    new Identifier(ClinicPatientSystem, FormattableString.Invariant($"IPP{p.Index + 1:D8}")),
                ],
                Active = true,
                Name = [new HumanName { Use = HumanName.NameUse.Official, Family = FakeIdentity.Family(ref _r), Given = [FakeIdentity.Given(p.Sex, ref _r)] }],
                Gender = p.Sex == 1 ? AdministrativeGender.Male : AdministrativeGender.Female,
                BirthDate = Day(p.Birth),
                Address =
                [
                    new Address
                    {
                        Use = Address.AddressUse.Home, Line = [FakeIdentity.Street(ref _r)], City = p.Departement.Prefecture,
                        PostalCode = p.Departement.PostalCode, Country = "FR",
                    },
                ],
                Telecom = [new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Mobile, FakeIdentity.Mobile(ref _r))],
            };
            if (p.Death is { } death) patient.Deceased = new FhirDateTime(Day(death));
            return patient;
        }

        private Condition ChronicCondition(ChronicCondition c)
        {
            var code = Concept(Icd10, c.Cim10.Length > 3 ? $"{c.Cim10[..3]}.{c.Cim10[3..]}" : c.Cim10, c.Label);
            code.Coding.Add(new Coding(Snomed, c.Snomed));
            return new Condition
            {
                ClinicalStatus = Concept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"),
                VerificationStatus = Concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed", "Confirmed"),
                Category = [Concept("http://terminology.hl7.org/CodeSystem/condition-category", "problem-list-item", "Problem List Item")],
                Code = code,
                Subject = Subject,
            };
        }

        private Encounter Encounter(string @class, string classDisplay, string type, string typeDisplay, DateOnly start, DateOnly end, string? disposition)
        {
            var encounter = new Encounter
            {
                Status = Hl7.Fhir.Model.Encounter.EncounterStatus.Finished,
                Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", @class, classDisplay),
                Type = [Concept(Snomed, type, typeDisplay)],
                Subject = Subject,
                Period = new Period(new FhirDateTime(Day(start)), new FhirDateTime(Day(end))),
            };
            if (disposition is not null)
                encounter.Hospitalization = new Encounter.HospitalizationComponent
                {
                    DischargeDisposition = Concept("http://terminology.hl7.org/CodeSystem/discharge-disposition", disposition, disposition == "exp" ? "Expired" : "Home"),
                };
            return encounter;
        }

        private void AddStay(HospitalStay stay)
        {
            var reason = stay.Reason >= 0 ? Nomenclatures.StayReasons[stay.Reason] : null;
            var overnight = stay.Exit > stay.Entry;
            var encounterUrl = Uuid();
            var conditionUrl = Uuid();
            var died = stay.ExitMode == '9';
            var encounter = Encounter(overnight ? "IMP" : "AMB", overnight ? "inpatient encounter" : "ambulatory", "32485007", "Hospital admission",
                stay.Entry, stay.Exit, died ? "exp" : "home");
            encounter.ReasonReference = [new ResourceReference(conditionUrl)];
            Insert(encounterUrl, encounter, "Encounter");

            var icd = reason?.Icd10 ?? "Z38.0";
            var condition = new Condition
            {
                ClinicalStatus = Concept("http://terminology.hl7.org/CodeSystem/condition-clinical", died || icd.StartsWith('C') ? "active" : "resolved",
                    died || icd.StartsWith('C') ? "Active" : "Resolved"),
                VerificationStatus = Concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", "confirmed", "Confirmed"),
                Category = [Concept("http://terminology.hl7.org/CodeSystem/condition-category", "encounter-diagnosis", "Encounter Diagnosis")],
                Code = Concept(Icd10, icd, reason?.Label ?? "enfant unique, né à l'hôpital"),
                Subject = Subject,
                Encounter = new ResourceReference(encounterUrl),
                Onset = new FhirDateTime(Day(stay.Entry)),
                RecordedDate = Day(stay.Exit),
            };
            Insert(conditionUrl, condition, "Condition");

            Vitals(encounterUrl, stay.Entry, inpatient: true, reason);
            if (reason?.ProcedureSnomed is { } procedure)
                Add(new Procedure
                {
                    Status = EventStatus.Completed,
                    Code = Concept(Snomed, procedure, reason.ProcedureLabel ?? reason.Label),
                    Subject = Subject,
                    Encounter = new ResourceReference(encounterUrl),
                    // the day after admission for a stay with nights (Exit > Entry), the day itself for an ambulatory one
                    Performed = new FhirDateTime(Day(overnight ? stay.Entry.AddDays(1) : stay.Entry)),
                }, "Procedure");
        }

        private void Insert(string fullUrl, Resource resource, string type) =>
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = fullUrl,
                Resource = resource,
                Request = new Bundle.RequestComponent { Method = Bundle.HTTPVerb.POST, Url = type },
            });

        private void Vitals(string encounter, DateOnly day, bool inpatient, StayReason? reason)
        {
            var age = p.AgeAt(day);
            var months = p.MonthsAt(day);
            var height = age >= 18
                ? (p.Sex == 1 ? 176 : 163) + 6.5 * _r.Normal()
                : age == 0 ? 50 + 2.1 * months : 75 + 6.2 * age + 3 * _r.Normal();
            var weight = age >= 18 ? _bmi * height * height / 10000 : age == 0 ? 3.4 + 0.6 * months : 2 * age + 8 + _r.Normal();
            var hypertensive = h.Chronic.Contains(0);
            var systolic = (int)Math.Round(105 + 0.5 * age + (hypertensive ? 15 : 0) + 10 * _r.Normal());
            var diastolic = (int)Math.Round(65 + 0.2 * age + (hypertensive ? 8 : 0) + 7 * _r.Normal());
            var rate = (int)Math.Round((age < 2 ? 125 : age < 12 ? 95 : 72) + 9 * _r.Normal());

            Add(Quantity(encounter, day, "8867-4", "Heart rate", rate, "/min", "beats/minute"), "Observation");
            if (age >= 3)
            {
                var bp = Observation(encounter, day, "85354-9", "Blood pressure panel with all children optional");
                bp.Component.Add(Component("8480-6", "Systolic blood pressure", systolic, "mm[Hg]", "mmHg"));
                bp.Component.Add(Component("8462-4", "Diastolic blood pressure", diastolic, "mm[Hg]", "mmHg"));
                Add(bp, "Observation");
            }
            Add(Quantity(encounter, day, "29463-7", "Body weight", Math.Round(weight, 1), "kg", "kg"), "Observation");
            Add(Quantity(encounter, day, "8302-2", "Body height", Math.Round(height, 1), "cm", "cm"), "Observation");
            if (age >= 2) Add(Quantity(encounter, day, "39156-5", "Body mass index (BMI) [Ratio]", Math.Round(weight / (height * height / 10000), 1), "kg/m2", "kg/m2"), "Observation");
            if (!inpatient) return;
            var fever = reason?.Cim10 is "J189" or "N390" or "J209" ? 1.6 : 0;
            Add(Quantity(encounter, day, "8310-5", "Body temperature", Math.Round(36.7 + fever + 0.3 * _r.Normal(), 1), "Cel", "°C"), "Observation");
            var saturation = reason?.Cim10 is "J441" or "J189" ? 91 : 97;
            Add(Quantity(encounter, day, "59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", Math.Min(100, saturation + _r.Between(-2, 2)), "%", "%"), "Observation");
        }

        private Observation Observation(string encounter, DateOnly day, string code, string display) => new()
        {
            Status = ObservationStatus.Final,
            Category = [Concept("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs", "Vital Signs")],
            Code = Concept(Loinc, code, display),
            Subject = Subject,
            Encounter = new ResourceReference(encounter),
            Effective = new FhirDateTime(Day(day)),
        };

        private Observation Quantity(string encounter, DateOnly day, string code, string display, double value, string unit, string human)
        {
            var observation = Observation(encounter, day, code, display);
            observation.Value = new Quantity { Value = (decimal)value, Unit = human, System = Ucum, Code = unit };
            return observation;
        }

        private static Observation.ComponentComponent Component(string code, string display, double value, string unit, string human) => new()
        {
            Code = Concept(Loinc, code, display),
            Value = new Quantity { Value = (decimal)value, Unit = human, System = Ucum, Code = unit },
        };

        private void Prescriptions()
        {
            var seen = new HashSet<int>();
            foreach (var d in h.Deliveries)
            {
                if (d.Medicine < Nomenclatures.FirstChronicMedicine || !seen.Add(d.Medicine)) continue;
                var medicine = Nomenclatures.Medicines[d.Medicine];
                var claim = h.Claims[d.Claim];
                Add(new MedicationRequest
                {
                    Status = p.Death is null ? MedicationRequest.MedicationrequestStatus.Active : MedicationRequest.MedicationrequestStatus.Stopped,
                    Intent = MedicationRequest.MedicationRequestIntent.Order,
                    Medication = Concept(Atc, medicine.Atc, medicine.Name),
                    Subject = Subject,
                    AuthoredOn = Day(claim.Prescribed ?? claim.Start),
                    DosageInstruction = [new Dosage { Text = "selon prescription, renouvelé chaque mois" }],
                }, "MedicationRequest");
            }
        }

        private void Immunizations()
        {
            foreach (var claim in h.Claims)
                if (claim.Kind == ActKind.FluVaccine)
                    Add(Immunization("141", "Influenza, seasonal, injectable", claim.Start), "Immunization");
            // infants: the hexavalent vaccine at 2 and 4 months, when those fall in their life and the year
            foreach (var age in (int[])[2, 4])
            {
                var day = p.Birth.AddMonths(age);
                if (day.Year == year && day <= (p.Death ?? DateOnly.MaxValue))
                    Add(Immunization("146", "DTaP,IPV,Hib,HepB", day), "Immunization");
            }
        }

        private Immunization Immunization(string cvx, string display, DateOnly day) => new()
        {
            Status = Hl7.Fhir.Model.Immunization.ImmunizationStatusCodes.Completed,
            VaccineCode = Concept(Cvx, cvx, display),
            Patient = Subject,
            Occurrence = new FhirDateTime(Day(day)),
            PrimarySource = true,
        };
    }
}
