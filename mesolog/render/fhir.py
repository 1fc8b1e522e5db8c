"""Charts as a FHIR R4 Bundle (render layer, pure), with meaning a reviewer can check:

- a Patient per chart, a Practitioner per person who performed a session, a CarePlan per course;
- a Procedure per session (one bodySite per area, SNOMED where the vocabulary has a code);
- a MedicationAdministration per substance given: dose in UCUM, the lot in a contained
  Medication's batch, the route from depth and method (intradermal for dermal depths,
  subcutaneous deeper or for a depot);
- an AdverseEvent per complication, the session's administrations as suspect entities;
- an Observation per measurement, UCUM from the name's unit suffix where known;
- a voided session is ``entered-in-error`` with the void's reason as ``statusReason``.

Every ``urn:uuid`` (and resource id: the same uuid, so ``P_1`` and ``P-1`` never collide) and
every identifier system is a uuid5 in the clinic's own namespace (its uuid, kept in the data
folder), so the same chart always exports to the same Bundle and P-0042 of two clinics never
shares a uuid.
"""

from __future__ import annotations

import uuid
from typing import Any

from mesolog.model import Chart, Complication, Course, Session, Substance
from mesolog.model import vocabulary as vocab
from mesolog.model.records import TABLE
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
GENDERS = {"female": "female", "male": "male", "other": "other"}
SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
SERIOUSNESS = "http://terminology.hl7.org/CodeSystem/adverse-event-seriousness"
OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"
OUTCOMES = {
    "resolved": "resolved",
    "recovering": "recovering",
    "ongoing": "ongoing",
    "resolved-with-sequelae": "resolvedWithSequelae",
    "unknown": "unknown",
}
# Course status -> CarePlan status and its activity's status.
PLAN_STATUS = {
    "active": ("active", "in-progress"),
    "completed": ("completed", "completed"),
    "stopped": ("revoked", "stopped"),
}


class _Ids:
    """Uuids in the clinic's namespace: one per thing, the same every export."""

    def __init__(self, clinic_id: str) -> None:
        self.namespace = uuid.UUID(clinic_id)

    def uuid(self, *parts: object) -> str:
        return str(uuid.uuid5(self.namespace, "/".join(str(p) for p in parts)))

    def urn(self, *parts: object) -> str:
        return f"urn:uuid:{self.uuid(*parts)}"

    def system(self, kind: str) -> str:
        return self.urn("identifier-system", kind)


def route(session: Session) -> dict[str, Any]:
    """Intradermal for dermal depths; subcutaneous deeper than the dermis or for a depot."""
    deep = session.depth_mm > DERMAL_DEPTH_MM[1] or session.method == "depot"
    coding = SUBCUTANEOUS if deep else INTRADERMAL
    return {"coding": [coding], "text": coding["display"].split()[0].lower()}


def dose(item: Substance) -> dict[str, Any]:
    code = DOSE_UNITS.get(item.unit)
    if code is None:
        return {"value": item.amount, "unit": item.unit}
    return {"value": item.amount, "unit": code, "system": UCUM, "code": code}


def measure_quantity(name: str, value: float) -> dict[str, Any]:
    for suffix, code in MEASURE_UNITS:
        if name.endswith(suffix):
            return {"value": value, "unit": code, "system": UCUM, "code": code}
    return {"value": value}


def body_site(area: str) -> dict[str, Any]:
    # By meaning: a chart recorded before a catalogue name changed ("stomach", now "abdomen")
    # keeps its code.
    known = vocab.AREA_SNOMED.get(area) or vocab.AREA_SNOMED.get(vocab.meaning("area", area))
    if known is None:
        return {"text": area}
    code, display = known
    return {"coding": [{"system": SNOMED, "code": code, "display": display}], "text": area}


def session_sites(session: Session) -> list[dict[str, Any]]:
    """A Procedure's body sites: one per zone of the injection map (the zone's own SNOMED CT
    code where one is sure, else its area's, the zone said in the text), then each area that
    no zone names (docs/photos.md)."""
    from mesolog.model.zones import area_key, zone_snomed

    sites = []
    for place in session.zones:
        known = zone_snomed(place.area, place.zone)
        site: dict[str, Any] = {"text": f"{place.area} {place.zone}"}
        if known is not None:
            site = {"coding": [{"system": SNOMED, "code": known[0], "display": known[1]}], **site}
        else:
            area = body_site(place.area)
            site = {**({"coding": area["coding"]} if "coding" in area else {}), **site}
        sites.append(site)
    zoned = {area_key(z.area) for z in session.zones}
    return sites + [body_site(a) for a in session.areas if area_key(a) not in zoned]


def void_reason(session: Session) -> str:
    """Why the session was voided: the reason of the amendment that voided it."""
    for note in reversed(session.amendments):
        if any(
            change.startswith("status:") and change.endswith("voided") for change in note.changes
        ):
            return note.reason
    return "voided"


class _Builder:
    def __init__(self, clinic_id: str) -> None:
        self.ids = _Ids(clinic_id)
        self.entries: list[dict[str, Any]] = []
        self.practitioners: dict[str, str] = {}

    def add(self, parts: tuple[object, ...], resource: dict[str, Any]) -> str:
        url = self.ids.urn(*parts)
        resource["id"] = url.removeprefix("urn:uuid:")
        self.entries.append({"fullUrl": url, "resource": resource})
        return url

    def practitioner(self, name: str) -> dict[str, Any] | None:
        if not name:
            return None
        if name not in self.practitioners:
            self.practitioners[name] = self.add(
                ("practitioner", name),
                {"resourceType": "Practitioner", "name": [{"text": name}]},
            )
        return {"reference": self.practitioners[name], "display": name}

    def chart(self, chart: Chart) -> None:
        pid = chart.patient.id
        patient_ref = self.add(("patient", pid), self.patient(chart))
        plans = {
            c.name: self.add(("course", pid, c.name), self.plan(chart, c, patient_ref))
            for c in chart.courses
        }
        for session in chart.sessions:
            self.session(chart, session, patient_ref, plans)

    def patient(self, chart: Chart) -> dict[str, Any]:
        p = chart.patient
        resource: dict[str, Any] = {
            "resourceType": "Patient",
            "identifier": [{"system": self.ids.system("patient"), "value": p.id}],
        }
        if p.name:
            resource["name"] = [{"text": p.name}]
        if p.birth_year:
            resource["birthDate"] = f"{p.birth_year:04d}"
        if p.sex in GENDERS:
            resource["gender"] = GENDERS[p.sex]
        # Phone and email arrive with schema 2; read defensively so either schema exports.
        telecom = [
            {"system": kind, "value": value}
            for kind in ("phone", "email")
            if (value := getattr(p, kind, None))
        ]
        if telecom:
            resource["telecom"] = telecom
        return resource

    def plan(self, chart: Chart, course: Course, patient_ref: str) -> dict[str, Any]:
        status, activity_status = PLAN_STATUS.get(
            str(getattr(course, "status", "active")), PLAN_STATUS["active"]
        )
        what = f" ({course.indication})" if course.indication else ""
        done = [
            {"reference": self.ids.urn("session", chart.patient.id, s.id)}
            for s in chart.active_sessions
            if course.named(s.course)
        ]
        activity: dict[str, Any] = {
            "detail": {
                "status": activity_status,
                "code": {"text": "Mesotherapy session"},
                "scheduledTiming": {
                    "repeat": {
                        "count": course.planned_sessions,
                        "period": course.interval_days,
                        "periodUnit": "d",
                    }
                },
            }
        }
        if done:
            activity["outcomeReference"] = done
        return {
            "resourceType": "CarePlan",
            "identifier": [
                {"system": self.ids.system("course"), "value": f"{chart.patient.id}/{course.name}"}
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
        self, chart: Chart, session: Session, patient_ref: str, plans: dict[str, str]
    ) -> None:
        pid = chart.patient.id
        procedure_ref = self.add(
            ("session", pid, session.id), self.procedure(chart, session, patient_ref, plans)
        )
        performer = self.practitioner(session.practitioner)
        given = [
            self.add(
                ("given", pid, session.id, n),
                self.administration(session, n, patient_ref, procedure_ref, performer),
            )
            for n in range(len(session.substances))
        ]
        for n, problem in enumerate(session.complications):
            self.add(
                ("complication", pid, session.id, n),
                self.adverse_event(
                    session, problem, patient_ref, given or [procedure_ref], performer
                ),
            )
        for name, value in session.measurements.items():
            observation: dict[str, Any] = {
                "resourceType": "Observation",
                "status": "entered-in-error" if session.voided else "final",
                "code": {"text": name},
                "subject": {"reference": patient_ref},
                "partOf": [{"reference": procedure_ref}],
                "effectiveDateTime": session.date.isoformat(),
                "valueQuantity": measure_quantity(name, value),
            }
            if performer:
                observation["performer"] = [performer]
            self.add(("measurement", pid, session.id, name), observation)

    def procedure(
        self, chart: Chart, session: Session, patient_ref: str, plans: dict[str, str]
    ) -> dict[str, Any]:
        identifier = [
            {"system": self.ids.system("session"), "value": f"{chart.patient.id}/{session.id}"}
        ]
        uid = getattr(session, "uid", None)
        if uid:
            identifier.append({"system": self.ids.system("session-uid"), "value": str(uid)})
        resource: dict[str, Any] = {
            "resourceType": "Procedure",
            "identifier": identifier,
            "status": "entered-in-error" if session.voided else "completed",
            "code": {"text": "Mesotherapy"},
            "subject": {"reference": patient_ref},
            "performedDateTime": session.date.isoformat(),
            "bodySite": session_sites(session),
        }
        if session.voided:
            resource["statusReason"] = {"text": void_reason(session)}
        course = chart.course(session.course) if session.course else None
        if course is not None:
            resource["basedOn"] = [{"reference": plans[course.name]}]
        performer = self.practitioner(session.practitioner)
        if performer:
            resource["performer"] = [{"actor": performer}]
        if session.indication:
            resource["reasonCode"] = [{"text": session.indication}]
        # technique, depth, anaesthetic, method: the fields the table gives a FHIR word
        notes = [n for e in TABLE if (n := e.fhir_note(getattr(session, e.name)))]
        if session.notes:
            notes.append(session.notes)
        resource["note"] = [{"text": n} for n in notes]
        return resource

    def administration(
        self,
        session: Session,
        index: int,
        patient_ref: str,
        procedure_ref: str,
        performer: dict[str, Any] | None,
    ) -> dict[str, Any]:
        given = session.substances[index]
        medication: dict[str, Any] = {
            "resourceType": "Medication",
            "id": "med",
            "code": {"text": given.name},
        }
        if given.lot or given.expiry:
            batch: dict[str, Any] = {}
            if given.lot:
                batch["lotNumber"] = given.lot
            if given.expiry:
                batch["expirationDate"] = given.expiry.isoformat()
            medication["batch"] = batch
        method = session.technique + (f", {session.method}" if session.method else "")
        sites = [body_site(a) for a in session.areas]
        resource: dict[str, Any] = {
            "resourceType": "MedicationAdministration",
            "contained": [medication],
            "status": "entered-in-error" if session.voided else "completed",
            "medicationReference": {"reference": "#med", "display": given.name},
            "subject": {"reference": patient_ref},
            "partOf": [{"reference": procedure_ref}],
            "effectiveDateTime": session.date.isoformat(),
            "dosage": {
                # Dosage has one site: the area's code when one area, else the areas as text.
                "site": sites[0] if len(sites) == 1 else {"text": ", ".join(session.areas)},
                "route": route(session),
                "method": {"text": method},
                "dose": dose(given),
            },
        }
        if session.voided:
            resource["statusReason"] = [{"text": void_reason(session)}]
        if performer:
            resource["performer"] = [{"actor": performer}]
        return resource

    def adverse_event(
        self,
        session: Session,
        problem: Complication,
        patient_ref: str,
        suspects: list[str],
        performer: dict[str, Any] | None,
    ) -> dict[str, Any]:
        resource: dict[str, Any] = {
            "resourceType": "AdverseEvent",
            "actuality": "actual",
            "event": {"text": problem.name},
            "subject": {"reference": patient_ref},
            "date": (problem.onset or session.date).isoformat(),
            "suspectEntity": [{"instance": {"reference": ref}} for ref in suspects],
        }
        if problem.severity is not None:
            # Not recorded: neither the grade nor the seriousness that follows from it is said.
            serious = "serious" if problem.severity == "severe" else "non-serious"
            resource["seriousness"] = {"coding": [{"system": SERIOUSNESS, "code": serious}]}
            resource["severity"] = {"coding": [{"system": SEVERITY, "code": problem.severity}]}
        if problem.outcome in OUTCOMES:
            assert problem.outcome is not None
            text = problem.outcome + (
                f" {problem.resolved.isoformat()}" if problem.resolved else ""
            )
            resource["outcome"] = {
                "coding": [{"system": OUTCOME, "code": OUTCOMES[problem.outcome]}],
                "text": text,
            }
        if problem.reported_by == "patient":
            resource["recorder"] = {"reference": patient_ref}
        elif performer:
            resource["recorder"] = performer
        return resource


def bundle(charts: list[Chart], clinic_id: str) -> dict[str, Any]:
    builder = _Builder(clinic_id)
    for chart in charts:
        builder.chart(chart)
    return {
        "resourceType": "Bundle",
        "identifier": {"system": builder.ids.system("export"), "value": clinic_id},
        "type": "collection",
        "entry": builder.entries,
    }
