"""A readable export of one patient: a FHIR R4 Bundle (Patient, EpisodeOfCare, Encounter, Observation).

Built as plain JSON (no FHIR library needed at run time); the tests validate it with ``fhir.resources``.
Pain is LOINC 72514-3 (0-10 numeric rating); per-trial results are GluteLab-coded Observations whose
components carry the glute-first share and mean %MVC, so another system can read them without our schema.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path
from typing import Any

from clinic.atomic_file import atomic_write
from clinic.records.models import Episode, Patient

GLUTELAB_SYSTEM = "https://glutelab.example/fhir/CodeSystem/results"
MRN_SYSTEM = "urn:glutelab:mrn"
EPISODE_STATUS = {"active": "active", "discharged": "finished", "cancelled": "cancelled"}


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _ref(url: str) -> dict[str, str]:
    return {"reference": url}


def patient_bundle(patient: Patient) -> dict[str, Any]:
    entries: list[dict[str, Any]] = []

    def add(resource: dict[str, Any]) -> str:
        url = f"urn:uuid:{uuid.uuid4()}"
        entries.append({"fullUrl": url, "resource": resource})
        return url

    pat: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": MRN_SYSTEM, "value": patient.mrn}],
        "name": [{"family": patient.family_name, "given": [patient.given_name]}],
        "gender": patient.sex if patient.sex in ("female", "male", "other", "unknown") else "unknown",
        "birthDate": patient.birth_date.isoformat(),
    }
    if patient.contact:
        pat["telecom"] = [{"system": "other", "value": patient.contact}]
    pat_url = add(pat)
    for ep in patient.episodes:
        add_episode(add, ep, pat_url)
    return {"resourceType": "Bundle", "type": "collection", "timestamp": _iso(dt.datetime.now(dt.UTC)),
            "entry": entries}


def add_episode(add: Any, ep: Episode, pat_url: str) -> None:
    period: dict[str, str] = {"start": ep.start_date.isoformat()}
    if ep.discharge_date:
        period["end"] = ep.discharge_date.isoformat()
    ep_url = add({"resourceType": "EpisodeOfCare", "status": EPISODE_STATUS.get(ep.status, "active"),
                  "type": [{"text": ep.reason}], "patient": _ref(pat_url), "period": period})
    for visit in ep.sessions:
        enc_url = add({"resourceType": "Encounter", "status": "finished",
                       "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB",
                                 "display": "ambulatory"},
                       "subject": _ref(pat_url), "episodeOfCare": [_ref(ep_url)],
                       "period": {"start": _iso(visit.started_at)},
                       "type": [{"text": f"GluteLab session, episode week {visit.week}"}]})
        when = _iso(visit.started_at)
        if visit.pain_score is not None:
            add({"resourceType": "Observation", "status": "final",
                 "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3",
                                      "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported"}]},
                 "subject": _ref(pat_url), "encounter": _ref(enc_url), "effectiveDateTime": when,
                 "valueInteger": visit.pain_score})
        for trial in visit.trials:
            reps = trial.rep_results
            components = []
            known = [r.glute_first for r in reps if r.glute_first is not None]
            if known:
                components.append({"code": {"coding": [{"system": GLUTELAB_SYSTEM, "code": "glute-first-share"}]},
                                   "valueQuantity": {"value": round(sum(known) / len(known), 4), "unit": "1"}})
            pct = [r.glute_pct_mvc for r in reps if r.glute_pct_mvc is not None]
            if pct:
                components.append({"code": {"coding": [{"system": GLUTELAB_SYSTEM, "code": "glute-pct-mvc"}]},
                                   "valueQuantity": {"value": round(sum(pct) / len(pct), 3), "unit": "%"}})
            obs: dict[str, Any] = {
                "resourceType": "Observation", "status": "final",
                "code": {"coding": [{"system": GLUTELAB_SYSTEM, "code": trial.exercise}],
                         "text": f"{trial.exercise} ({trial.side}), {len(reps)} reps"},
                "subject": _ref(pat_url), "encounter": _ref(enc_url), "effectiveDateTime": when}
            if any(r.simulated for r in trial.recordings):  # marked wherever it is exported (decisions.md)
                obs["note"] = [{"text": "SIMULATED data from the GluteLab simulator - not a patient measurement"}]
            if components:
                obs["component"] = components
            else:
                obs["dataAbsentReason"] = {"text": "no analysed repetitions"}
            add(obs)


def export_patient_fhir(patient: Patient, path: str | Path) -> Path:
    path = Path(path)
    text = json.dumps(patient_bundle(patient), indent=1, ensure_ascii=False)
    with atomic_write(path) as fh:
        fh.write(text)
    return path
