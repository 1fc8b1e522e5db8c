"""Charts as a FHIR R4 transaction Bundle (render layer, pure), with meaning a reviewer can check:

- a Patient per chart, a Practitioner per person who performed a session, a CarePlan per course;
- a Procedure per session (one bodySite per area, SNOMED where the vocabulary has a code; the
  needle, points and duration as extensions and notes);
- a MedicationAdministration per substance given: dose in UCUM, the lot in a contained
  Medication's batch, the route from depth and method (intradermal for dermal depths,
  subcutaneous deeper or for a depot);
- an AdverseEvent per complication, the session's administrations as suspect entities; its
  severity is the charted grade, its seriousness only what the outcome says;
- an Observation per measurement, UCUM from the name's unit suffix where known;
- a Consent where the session records one; a Provenance per correction (who, when, why, what);
- a voided session is ``entered-in-error`` with the void's reason as ``statusReason``; its
  adverse events (AdverseEvent has no status) are deleted.

Every id is a uuid5 in the clinic's namespace of the patient's key (made with the clinic's
secret) and the record's own identity: the session's uid, a substance's or complication's key
(model.itemkeys), a measurement's name. A correction, a void or a sync never moves an id to
other content; what a session held and holds no more is a ``DELETE`` entry. How a receiver uses
them: docs/exports.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import cache
from operator import attrgetter
from typing import Any, NamedTuple

from mesolog.model import Chart, Complication, Course, Session, Substance
from mesolog.model import vocabulary as vocab
from mesolog.model.itemkeys import ExportKeys, complication_keys, former_keys, substance_keys
from mesolog.model.records import TABLE, Amendment
from mesolog.model.values import DERMAL_DEPTH_MM

SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
INTRADERMAL = {"system": SNOMED, "code": "372464004", "display": "Intradermal route"}
SUBCUTANEOUS = {"system": SNOMED, "code": "34206005", "display": "Subcutaneous route"}
# Our units -> UCUM codes.
DOSE_UNITS = {"ml": "mL", "mg": "mg", "mcg": "ug", "IU": "[IU]", "U": "U"}
# A measure's name ends with its unit; the suffixes we can say in UCUM (longest first).
MEASURE_UNITS = (
    ("_per_cm2", "/cm2"),
    ("_0_10", "{score}"),
    ("_cm", "cm"),
    ("_mm", "mm"),
    ("_kg", "kg"),
)
SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
CONSENT_SCOPE = {
    "system": "http://terminology.hl7.org/CodeSystem/consentscope",
    "code": "treatment",
}
CONSENT_CATEGORY = {"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}
CONSENT_OPT_IN = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN"}
# Our own extensions' URLs: what no Procedure element holds (needle, points, duration).
EXTENSION_BASE = "https://mesolog.invalid/fhir/StructureDefinition/"
OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
# A charted outcome -> its FHIR code: the same word, in camel case where ours has a hyphen.
OUTCOMES = {o: o for o in vocab.OUTCOMES} | {"resolved-with-sequelae": "resolvedWithSequelae"}
# The session fields the field table gives a FHIR word (docs/fields.md).
WORDED = tuple(e for e in TABLE if e.spec.fhir)
# Course status -> CarePlan status and its activity's status.
PLAN_STATUS = {
    "active": ("active", "in-progress"),
    "completed": ("completed", "completed"),
    "stopped": ("revoked", "stopped"),
}


class _Ids:
    """Uuids in the clinic's namespace, from the patient's key and the record's own identity."""

    def __init__(self, keys: ExportKeys) -> None:
        import hashlib

        self.patient_key = keys.patient_key
        self.hashed = hashlib.sha1(uuid.UUID(keys.clinic_id).bytes, usedforsecurity=False)
        # The identifier system of each kind of identifier (every resource names one).
        self.systems = {
            kind: f"urn:uuid:{self.uuid('identifier-system', kind)}"
            for kind in ("patient", "course", "session", "session-uid")
        }

    def uuid(self, *parts: object) -> str:
        """``uuid.uuid5(namespace, "a/b/c")``, the namespace hashed once (a clinic's export
        makes a hundred thousand of them)."""
        return self.uuid_under(self.hashed, *parts)

    def under(self, *parts: object) -> Any:
        """The hash of the namespace and ``a/b/``: every id of a session starts so."""
        digest = self.hashed.copy()
        digest.update(("/".join(map(str, parts)) + "/").encode())
        return digest

    @staticmethod
    def uuid_under(prefix: Any, *parts: object) -> str:
        """``uuid(*prefix_parts, *parts)`` from the prefix's hash (:meth:`under`)."""
        digest = prefix.copy()
        digest.update("/".join(map(str, parts)).encode())
        return _as_uuid5(digest.hexdigest())

    @staticmethod
    def item_id(prefix: Any, word: str, key: str) -> str:
        """:meth:`uuid_under` of a session's item (``given/<key>``...), the hot case: most of
        an export's ids, so its name is made without the general join."""
        digest = prefix.copy()
        digest.update(f"{word}/{key}".encode())
        return _as_uuid5(digest.hexdigest())


# The RFC 4122 variant (10xx) in place of a hex digit's top two bits.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def _as_uuid5(x: str) -> str:
    """A SHA-1 hex digest as a version-5 uuid's text (``uuid.uuid5``'s bytes)."""
    return f"{x[:8]}-{x[8:12]}-5{x[13:16]}-{_VARIANT[x[16]]}{x[17:20]}-{x[20:32]}"  # version 5


def route(session: Session) -> dict[str, Any]:
    """Intradermal for dermal depths; subcutaneous deeper than the dermis or for a depot."""
    deep = session.depth_mm > DERMAL_DEPTH_MM[1] or session.method == "depot"
    coding = SUBCUTANEOUS if deep else INTRADERMAL
    return {"coding": [coding], "text": coding["display"].split()[0].lower()}


def dose(item: Substance) -> dict[str, Any]:
    code = DOSE_UNITS.get(item.unit)
    return {"value": item.amount, "unit": item.unit} if code is None else _ucum(item.amount, code)


@cache
def measure_unit(name: str) -> str | None:
    """The UCUM code a measure's name ends with (the same few names in every chart)."""
    return next((code for suffix, code in MEASURE_UNITS if name.endswith(suffix)), None)


@cache
def body_site(area: str) -> dict[str, Any]:
    """An area's body site, worked out once a process (the same dict each time: nothing changes
    it, the encoder writes it again)."""
    # By meaning: a chart recorded before a catalogue name changed ("stomach", now "abdomen")
    # keeps its code.
    known = vocab.AREA_SNOMED.get(area) or vocab.AREA_SNOMED.get(vocab.meaning("area", area))
    return _coded(known, area)


def _coded(known: tuple[str, str] | None, text: str) -> dict[str, Any]:
    """A SNOMED CT concept (code, display) and its text; the text alone without one."""
    if known is None:
        return {"text": text}
    return {"coding": [{"system": SNOMED, "code": known[0], "display": known[1]}], "text": text}


def void_reason(session: Session) -> str:
    """Why the session was voided: the reason of the amendment that voided it."""
    for note in reversed(session.amendments):
        if any(
            change.startswith("status:") and change.endswith("voided") for change in note.changes
        ):
            return note.reason
    return "voided"


Entry = dict[str, Any]
_NOTHING_FORMER: tuple[set[str], set[str], set[str]] = (set(), set(), set())


class _SessionFacts(NamedTuple):
    """What every resource of one session repeats, worked out once: its date, whether it is
    voided and why, and who performed it. The
    elements several resources hold (``subject``, ``partOf``, a performer's ``actor``) are
    made here once and shared: a session's resources are a tenth of an export's dicts fewer."""

    date: str
    voided: bool
    void_reason: str
    performer: dict[str, Any] | None
    subject: dict[str, str]
    part_of: list[dict[str, str]]
    actors: list[dict[str, Any]] | None


def _present(resource: dict[str, Any]) -> dict[str, Any]:
    """``resource`` without the elements the record leaves out (None): FHIR allows no empty
    element, and each builder lists every element it may hold in the order it is written."""
    return {key: value for key, value in resource.items() if value is not None}


class _Builder:
    """The entries of a transaction Bundle, chart by chart: a ``PUT`` of every resource the
    record holds now, by its id, and a ``DELETE`` of every id an earlier export may have held
    that the record holds no more (docs/exports.md).

    Speed (an export of the whole clinic is measured against parsing it): what many resources
    repeat (a session's date and dosage, an area's body site, a field's wording, a performer's
    reference) is made once and the same dict shared; the entries are a tree without cycles,
    so the encoder is told to skip its cycle check (``to_json_line(..., acyclic=True)``)."""

    def __init__(self, keys: ExportKeys, relative: bool = False) -> None:
        self.ids = _Ids(keys)
        # A Bundle refers to its entries by fullUrl (urn:uuid:...); Bulk Data files, which have
        # no fullUrl, by Type/id.
        self.relative = relative
        self.practitioners: dict[str, dict[str, Any]] = {}
        self.entries: list[Entry] = []

    def put(self, parts: tuple[object, ...], resource: dict[str, Any]) -> str:
        return self.put_id(self.ids.uuid(*parts), resource)

    def put_id(self, rid: str, resource: dict[str, Any]) -> str:
        """A ``PUT`` of ``resource`` as ``rid``; its reference."""
        resource["id"] = rid
        kind = resource["resourceType"]
        url = self.reference(kind, rid)
        if self.relative:  # Bulk Data: the resource alone (no fullUrl, no request)
            self.entries.append(resource)
            return url
        self.entries.append(
            {
                "fullUrl": url,
                "resource": resource,
                "request": {"method": "PUT", "url": f"{kind}/{rid}"},
            }
        )
        return url

    def reference(self, kind: str, rid: str) -> str:
        return f"{kind}/{rid}" if self.relative else "urn:uuid:" + rid

    def put_all(
        self, prefix: Any, kind: str, word: str, made: dict[str, dict[str, Any]], held: set[str]
    ) -> list[str]:
        """A ``PUT`` of each resource ``made`` as the id ``(*session, word, key)`` (``prefix``:
        the session's hash, :meth:`_Ids.under`), and a ``DELETE`` of each key ``held`` (what an
        earlier export may have held) that is not made now; the references put."""
        item_id = self.ids.item_id
        puts = [self.put_id(item_id(prefix, word, key), r) for key, r in made.items()]
        # Bulk Data has no deletes (docs/exports.md); a session never corrected held nothing.
        if held and not self.relative:
            for key in sorted(held - set(made)):
                url = f"{kind}/{item_id(prefix, word, key)}"
                self.entries.append({"request": {"method": "DELETE", "url": url}})
        return puts

    def body_sites(self, session: Session) -> list[dict[str, Any]]:
        """A Procedure's body sites: one per zone of the injection map (the zone's own SNOMED
        CT code where one is sure, else its area's, the zone said in the text), then each area
        that no zone names (docs/photos.md)."""
        if not session.zones:
            return [body_site(a) for a in session.areas]
        from mesolog.model.zones import area_key, zone_snomed

        sites = []
        for place in session.zones:
            text = f"{place.area} {place.zone}"
            known = zone_snomed(place.area, place.zone)
            # The zone's own code, else its area's; the zone in the text.
            sites.append(_coded(known, text) if known else {**body_site(place.area), "text": text})
        zoned = {area_key(z.area) for z in session.zones}
        return sites + [body_site(a) for a in session.areas if area_key(a) not in zoned]

    def dosage(self, session: Session) -> dict[str, Any]:
        """The parts of a Dosage every substance of the session shares (all but the dose)."""
        method = session.technique + (f", {session.method}" if session.method else "")
        return {
            # Dosage has one site: the area's code when one area, else the areas as text.
            "site": body_site(session.areas[0])
            if len(session.areas) == 1
            else {"text": ", ".join(session.areas)},
            "route": route(session),
            "method": {"text": method},
        }

    def practitioner(self, name: str) -> dict[str, Any] | None:
        """The reference to a performer (one dict a person, shared by every resource that
        names them: the encoder writes it again each time)."""
        if not name:
            return None
        if name not in self.practitioners:
            ref = self.put(
                ("practitioner", name),
                {"resourceType": "Practitioner", "name": [{"text": name}]},
            )
            self.practitioners[name] = {"reference": ref, "display": name}
        return self.practitioners[name]

    def chart(self, chart: Chart) -> list[Entry]:
        key = self.ids.patient_key(chart.patient)
        patient_ref = self.put((key, "patient"), self.patient(chart))
        # Each session's id once: its Procedure, the CarePlans that list it.
        procedures = {s.uid: self.ids.uuid(key, s.uid, "session") for s in chart.sessions}
        plans = {
            c.name: self.put((key, "course", c.name), self.plan(chart, c, patient_ref, procedures))
            for c in chart.courses
        }
        based_on = course_links(chart, plans)
        for session in chart.sessions:
            self.session(chart, session, key, patient_ref, based_on, procedures[session.uid])
        self.provenances((key, "chart-amendment"), chart.amendments, patient_ref)
        # The entries made so far, handed out once (the writer streams them).
        entries, self.entries = self.entries, []
        return entries

    def patient(self, chart: Chart) -> dict[str, Any]:
        p = chart.patient
        telecom = [
            {"system": kind, "value": value}
            for kind, value in (("phone", p.phone), ("email", p.email))
            if value
        ]
        return _present(
            {
                "resourceType": "Patient",
                "identifier": [{"system": self.ids.systems["patient"], "value": p.id}],
                "name": [{"text": p.name}] if p.name else None,
                "birthDate": f"{p.birth_year:04d}" if p.birth_year else None,
                "gender": p.sex if p.sex in vocab.SEXES else None,  # our words are FHIR's codes
                "telecom": telecom or None,
            }
        )

    def plan(
        self, chart: Chart, course: Course, patient_ref: str, procedures: dict[str, str]
    ) -> dict[str, Any]:
        status, activity_status = PLAN_STATUS.get(course.status, PLAN_STATUS["active"])
        what = f" ({course.indication})" if course.indication else ""
        done = [
            {"reference": self.reference("Procedure", procedures[s.uid])}
            for s in chart.active_sessions
            if course.named(s.course)
        ]
        timing = {
            "count": course.planned_sessions,
            "period": course.interval_days,
            "periodUnit": "d",
        }
        detail = {
            "status": activity_status,
            "code": {"text": "Mesotherapy session"},
            "scheduledTiming": {"repeat": timing},
        }
        activity = _present({"detail": detail, "outcomeReference": done or None})
        return {
            "resourceType": "CarePlan",
            "identifier": [
                {"system": self.ids.systems["course"], "value": f"{chart.patient.id}/{course.name}"}
            ],
            "status": status,
            "intent": "plan",
            "title": course.name,
            "description": f"{course.planned_sessions} sessions every {course.interval_days} days{what}",
            "subject": {"reference": patient_ref},
            "period": {"start": course.start.isoformat()},
            "activity": [activity],
        }

    def session(
        self,
        chart: Chart,
        session: Session,
        key: str,
        patient_ref: str,
        based_on: dict[str, list[dict[str, str]]],
        procedure_id: str,
    ) -> None:
        prefix = self.ids.under(key, session.uid)  # the start of every id of the session
        performer = self.practitioner(session.practitioner)
        procedure_ref = self.reference("Procedure", procedure_id)
        facts = _SessionFacts(
            date=session.date.isoformat(),
            voided=session.voided,
            void_reason=void_reason(session) if session.voided else "",
            performer=performer,
            subject={"reference": patient_ref},
            part_of=[{"reference": procedure_ref}],
            actors=[{"actor": performer}] if performer else None,
        )
        self.put_id(procedure_id, self.procedure(chart, session, facts, based_on))
        # A session never corrected held nothing but what it holds (its trail names nothing).
        former_substances, former_problems, former_measures = (
            former_keys(session) if session.amendments else _NOTHING_FORMER
        )
        given_keys = substance_keys(session)
        dosage = self.dosage(session) if given_keys else {}
        products = zip(given_keys, session.substances, strict=True)
        made = {k: self.administration(item, facts, dosage) for k, item in products}
        given = self.put_all(prefix, "MedicationAdministration", "given", made, former_substances)
        # AdverseEvent has no status to say "entered in error": a voided session's events are
        # deleted, as a complication removed by a correction is.
        keys = complication_keys(session)
        problems = [] if session.voided else zip(keys, session.complications, strict=True)
        events = {k: self.adverse_event(p, facts, given or [procedure_ref]) for k, p in problems}
        self.put_all(prefix, "AdverseEvent", "complication", events, former_problems | set(keys))
        measured = {n: self.observation(facts, n, v) for n, v in session.measurements.items()}
        self.put_all(prefix, "Observation", "measurement", measured, former_measures)
        if session.consent:
            self.put_id(
                self.ids.uuid_under(prefix, "consent"), self.consent(session.consent, facts)
            )
        self.provenances((key, session.uid, "amendment"), session.amendments, procedure_ref)

    def observation(self, facts: _SessionFacts, name: str, value: float) -> dict[str, Any]:
        code = measure_unit(name)
        observation: dict[str, Any] = {
            "resourceType": "Observation",
            "status": "entered-in-error" if facts.voided else "final",
            "code": {"text": name},
            "subject": facts.subject,
            "partOf": facts.part_of,
            "effectiveDateTime": facts.date,
            "valueQuantity": {"value": value} if code is None else _ucum(value, code),
        }
        if facts.performer:  # (not by _present: a session gives several, each a dict less)
            observation["performer"] = [facts.performer]
        return observation

    def consent(self, consent: str, facts: _SessionFacts) -> dict[str, Any]:
        """The consent the session records (as charted: "written", "verbal"...)."""
        return _present(
            {
                "resourceType": "Consent",
                "status": "entered-in-error" if facts.voided else "active",
                "scope": {"coding": [CONSENT_SCOPE]},
                "category": [{"coding": [CONSENT_CATEGORY]}],
                "patient": facts.subject,
                "dateTime": facts.date,
                "policyRule": {"coding": [CONSENT_OPT_IN]},
                "sourceAttachment": {"title": consent},
                "performer": [facts.performer] if facts.performer else None,
            }
        )

    def provenances(self, at: tuple[object, ...], trail: Iterable[Amendment], target: str) -> None:
        """Each correction of a trail: who made it, when, why, what it changed and what it
        targets. Its id is ``at`` and what makes it the same correction on every machine (a trail
        merged by sync may hold it at another place): when, who and why."""
        for note in trail:
            who = self.practitioner(note.by) or {"display": "not recorded"}
            resource = {
                "resourceType": "Provenance",
                "target": [{"reference": target}],
                "recorded": instant(note.at),
                "activity": {
                    "coding": [{"system": DATA_OPERATION, "code": "UPDATE", "display": "revise"}],
                    "text": "; ".join(note.changes) or "amended",
                },
                "agent": [{"who": who}],
                "reason": [{"text": note.reason}] if note.reason else None,
            }
            self.put((*at, note.at.isoformat(), note.by, note.reason), _present(resource))

    def procedure(
        self,
        chart: Chart,
        session: Session,
        facts: _SessionFacts,
        based_on: dict[str, list[dict[str, str]]],
    ) -> dict[str, Any]:
        identifier = [
            {"system": self.ids.systems["session"], "value": f"{chart.patient.id}/{session.id}"},
            {"system": self.ids.systems["session-uid"], "value": session.uid},
        ]
        extensions, notes = worded_notes(session)
        if session.notes:
            notes.append({"text": session.notes})
        return _present(
            {
                "resourceType": "Procedure",
                "identifier": identifier,
                "status": "entered-in-error" if facts.voided else "completed",
                "code": {"text": "Mesotherapy"},
                "subject": facts.subject,
                "performedDateTime": facts.date,
                "bodySite": self.body_sites(session),
                "statusReason": {"text": facts.void_reason} if facts.voided else None,
                "basedOn": based_on.get(session.course or ""),
                "performer": facts.actors,
                "reasonCode": [{"text": session.indication}] if session.indication else None,
                "extension": extensions or None,
                "note": notes,
            }
        )

    def administration(
        self, given: Substance, facts: _SessionFacts, dosage: dict[str, Any]
    ) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "resourceType": "MedicationAdministration",
            "contained": [medication(given.name, given.lot, given.expiry)],
            "status": "entered-in-error" if facts.voided else "completed",
            "medicationReference": {"reference": "#med", "display": given.name},
            "subject": facts.subject,
            "partOf": facts.part_of,
            "effectiveDateTime": facts.date,
            "dosage": {**dosage, "dose": dose(given)},
        }
        # (Not by _present: a session gives several, each a dict less.)
        if facts.voided:
            resource["statusReason"] = [{"text": facts.void_reason}]
        if facts.actors:
            resource["performer"] = facts.actors
        return resource

    def adverse_event(
        self, problem: Complication, facts: _SessionFacts, suspects: list[str]
    ) -> dict[str, Any]:
        resolved = f" {problem.resolved.isoformat()}" if problem.resolved else ""
        coding = _coding(OUTCOME, OUTCOMES.get(problem.outcome or ""))
        outcome = {**coding, "text": f"{problem.outcome}{resolved}"} if coding else None
        by_patient = problem.reported_by == "patient"
        return _present(
            {
                "resourceType": "AdverseEvent",
                "actuality": "actual",
                "event": {"text": problem.name},
                "subject": facts.subject,
                "date": problem.onset.isoformat() if problem.onset else facts.date,
                "suspectEntity": [{"instance": {"reference": ref}} for ref in suspects],
                "severity": _coding(SEVERITY, problem.severity),
                "seriousness": _coding(SERIOUSNESS, seriousness(problem)),
                "outcome": outcome,
                "recorder": facts.subject if by_patient else facts.performer,
            }
        )


def _coding(system: str, code: str | None) -> dict[str, Any] | None:
    """A concept of one code of ``system``; None (left out) without a code."""
    return None if code is None else {"coding": [{"system": system, "code": code}]}


@cache
def medication(name: str, lot: str | None, expiry: date | None) -> dict[str, Any]:
    """The Medication an administration contains: the product and its batch (made once a
    product and batch: sessions repeat them; the encoder writes the same dict again)."""
    day = expiry.isoformat() if expiry else None
    batch = _present({"lotNumber": lot or None, "expirationDate": day})
    made = {"resourceType": "Medication", "id": "med", "code": {"text": name}}
    return _present({**made, "batch": batch or None})


def worded_notes(session: Session) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Every field the table gives a FHIR word is a note ("depth: 1.5 mm"); the numbers among
    them (needle, points, duration...) are extensions a receiver can read too."""
    extensions: list[dict[str, Any]] = []
    notes: list[dict[str, str]] = []
    for n, value in enumerate(WORDED_VALUES(session)):
        if value is None or value == "":  # neither a note nor an extension
            continue
        note, extension = _worded(n, type(value).__name__, value)
        if extension is not None:
            extensions.append(extension)
        notes.append(note)
    return extensions, notes


@cache
def _worded(n: int, kind: str, value: Any) -> tuple[dict[str, str], dict[str, Any] | None]:
    """The note (an Annotation) and the extension (a number's) of the ``n``-th worded field's
    value. Sessions repeat the same depths and gauges: each (field, value) is worded once, by
    type too (1 and 1.0 are equal keys but a valueInteger and a valueDecimal)."""
    field, url = WORDED_URLS[n]
    note = {"text": field.fhir_note(value) or ""}
    if isinstance(value, bool) or not isinstance(value, int | float):
        return note, None
    # A number is an extension of the Procedure too (no Procedure element holds a needle's
    # gauge or the points injected): a UCUM quantity when the table gives a unit.
    if field.spec.unit:
        return note, {"url": url, "valueQuantity": _ucum(value, field.spec.unit)}
    element = "valueInteger" if isinstance(value, int) else "valueDecimal"
    return note, {"url": url, element: value}


def course_links(chart: Chart, plans: dict[str, str]) -> dict[str, list[dict[str, str]]]:
    """A Procedure's ``basedOn`` by the course name its session gives: each name the chart's
    sessions write is looked up once (as ``Chart.course`` matches it), not once a session."""
    links = {}
    for name in {s.course for s in chart.sessions if s.course}:
        course = chart.course(name)
        if course is not None:
            links[name] = [{"reference": plans[course.name]}]
    return links


def seriousness(problem: Complication) -> str | None:
    """Seriousness is about the outcome (death, hospitalisation, lasting harm), never the grade:
    a severe bruise healed at home is not serious. The chart says lasting harm (healed with
    sequelae) or healed without it; anything else says nothing either way."""
    if problem.outcome == "resolved-with-sequelae":
        return "Serious"
    if problem.outcome in ("resolved", "recovering"):
        return "Non-serious"
    return None


def instant(moment: datetime) -> str:
    """A FHIR instant: with an offset (a moment written without one is taken as UTC)."""
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat()


# The worded fields with their extension URLs from their FHIR words (``.../needle-length``),
# made once (every session asks for them).
WORDED_URLS = tuple((e, EXTENSION_BASE + (e.spec.fhir or e.name).replace(" ", "-")) for e in WORDED)
# A session's values of those fields in one call, in their order.
WORDED_VALUES = attrgetter(*(e.name for e in WORDED))


def _ucum(value: float, code: str) -> dict[str, Any]:
    return {"value": value, "unit": code, "system": UCUM, "code": code}


def bundle_head() -> dict[str, Any]:
    """The Bundle without its entries: a fresh identifier and timestamp every export (an
    identifier names one Bundle, and says nothing of the clinic's keys)."""
    return {
        "resourceType": "Bundle",
        "identifier": {"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{uuid.uuid4()}"},
        "type": "transaction",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def chart_entries(
    charts: Iterable[Chart], keys: ExportKeys, relative: bool = False
) -> Iterator[list[Entry]]:
    """The entries of the export, a chart's at a time, as each chart is read (``relative``:
    for Bulk Data files, the references as ``Type/id`` and each entry the resource itself,
    deletes left out)."""
    builder = _Builder(keys, relative)
    with fewer_collections():
        for chart in charts:
            yield builder.chart(chart)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """The cycle collector run less often while an export makes its entries: they are trees,
    freed by reference counting as each chart is written, and a collection every 700 new dicts
    costs a twentieth of the export's time for nothing (restored after)."""
    import gc

    before = gc.get_threshold()
    gc.set_threshold(max(before[0], 100_000), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
