"""Charts as a FHIR R4 Bundle (render layer, pure): a Patient, a Procedure per session and a
MedicationAdministration per substance given, with the lot in a contained Medication's batch.

Entries are referenced by ``urn:uuid`` full URLs derived from the patient id and session number,
so the same chart always exports to the same Bundle.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from mesolog.model import Chart, Session, complication_text
from mesolog.render.console import _number

NAMESPACE = uuid.UUID("6f1b7c1e-5d0a-4c39-9a52-6d3f0c1e4a77")
INTRADERMAL = {
    "system": "http://snomed.info/sct",
    "code": "372464004",
    "display": "Intradermal route",
}
GENDERS = {"female": "female", "male": "male", "other": "other"}


def _urn(*parts: object) -> str:
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, '/'.join(str(p) for p in parts))}"


def _fhir_id(text: str) -> str:
    """FHIR ids allow letters, digits, '-' and '.' only."""
    return re.sub(r"[^A-Za-z0-9.-]", "-", text)[:64]


def _patient(chart: Chart) -> dict[str, Any]:
    p = chart.patient
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": _fhir_id(p.id),
        "identifier": [{"system": "urn:mesolog:patient-id", "value": p.id}],
    }
    if p.name:
        resource["name"] = [{"text": p.name}]
    if p.birth_year:
        resource["birthDate"] = f"{p.birth_year:04d}"
    if p.sex in GENDERS:
        resource["gender"] = GENDERS[p.sex]
    return resource


def _status(session: Session) -> str:
    return "entered-in-error" if session.voided else "completed"


def _procedure(chart: Chart, session: Session, patient_ref: str) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Procedure",
        "id": _fhir_id(f"{chart.patient.id}-s{session.id}"),
        "identifier": [
            {"system": "urn:mesolog:session", "value": f"{chart.patient.id}/{session.id}"}
        ],
        "status": _status(session),
        "code": {"text": "Mesotherapy"},
        "subject": {"reference": patient_ref},
        "performedDateTime": session.date.isoformat(),
        "bodySite": [{"text": area} for area in session.areas],
    }
    if session.practitioner:
        resource["performer"] = [{"actor": {"display": session.practitioner}}]
    if session.indication:
        resource["reasonCode"] = [{"text": session.indication}]
    if session.complications:
        resource["complication"] = [{"text": complication_text(c)} for c in session.complications]
    notes = [
        f"technique: {session.technique}",
        f"depth: {_number(session.depth_mm)} mm",
        f"anaesthetic: {session.anaesthetic}",
    ]
    if session.method:
        notes.append(f"method: {session.method}")
    if session.notes:
        notes.append(session.notes)
    resource["note"] = [{"text": n} for n in notes]
    return resource


def _administration(
    chart: Chart, session: Session, index: int, patient_ref: str, procedure_ref: str
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
    return {
        "resourceType": "MedicationAdministration",
        "id": _fhir_id(f"{chart.patient.id}-s{session.id}-m{index + 1}"),
        "contained": [medication],
        "status": _status(session),
        "medicationReference": {"reference": "#med", "display": given.name},
        "subject": {"reference": patient_ref},
        "partOf": [{"reference": procedure_ref}],
        "effectiveDateTime": session.date.isoformat(),
        "dosage": {
            "site": {"text": ", ".join(session.areas)},
            "route": {"coding": [INTRADERMAL], "text": "intradermal"},
            "method": {"text": method},
            "dose": {"value": given.amount, "unit": given.unit},
        },
    }


def bundle(charts: list[Chart]) -> dict[str, Any]:
    entries = []
    for chart in charts:
        patient_ref = _urn("patient", chart.patient.id)
        entries.append({"fullUrl": patient_ref, "resource": _patient(chart)})
        for session in chart.sessions:
            procedure_ref = _urn("session", chart.patient.id, session.id)
            entries.append(
                {"fullUrl": procedure_ref, "resource": _procedure(chart, session, patient_ref)}
            )
            for index in range(len(session.substances)):
                entries.append(
                    {
                        "fullUrl": _urn("given", chart.patient.id, session.id, index),
                        "resource": _administration(
                            chart, session, index, patient_ref, procedure_ref
                        ),
                    }
                )
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}
