"""Realistic demo data: referrals for `make run DEMO=1` (import files: services/intake/referrals/sample.py).
Fictional children, ages relative to today, NHS numbers from the 999 range the NHS reserves for testing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

# The import sample and test NHS numbers live with bulk import (intake serves the sample); named here too, where the
# CLI and the tests have always found them.
from services.intake.referrals.sample import sample_import_csv as sample_import_csv
from services.intake.referrals.sample import sample_nhs_number as sample_nhs_number


def _born(today: date, years: int, months: int = 0) -> str:
    month = today.month - months
    year = today.year - years
    while month < 1:
        month += 12
        year -= 1
    return date(year, month, min(today.day, 28)).isoformat()


def _referral(i: int, today: date, *, given: str, family: str, years: int, concerns: list[str],
              **extra: Any) -> dict[str, Any]:
    child = {
        "given_name": given,
        "family_name": family,
        "date_of_birth": _born(today, years, months=i % 7),
        "nhs_number": sample_nhs_number(100 + i * 37),
        "postcode": ["SS1 2AB", "SS2 6HX", "SS0 7QP", "SS3 9LE", "SS9 4BN"][i % 5],
        "education_setting": {
            "urn": ["114999", "115020", "136504"][i % 3],
            "name": ["Seaview Primary Academy", "Eastwood Academy", "Cecil Jones Academy"][i % 3],
            "has_mhst": i % 2 == 0,
        },
        **extra.pop("child", {}),
    }
    return {
        "client_reference": f"demo-{i:03d}",
        "channel": "professional_portal",
        "child": child,
        "referrer": {"name": "Demo Referrer", "role": extra.pop("role", "school_senco"),
                     "organisation": child["education_setting"]["name"], "email": "senco@example.sch.uk",
                     "phone": "01702 000000"},
        "consent": extra.pop("consent", {"basis": "parent_with_pr", "child_aware": True}),
        "reason": extra.pop("reason", "School and family have noticed changes over this term; details of what has been "
                                      "tried so far are given here."),
        "concerns": concerns,
        "impact": extra.pop("impact", "moderate"),
        "duration": extra.pop("duration", "1_to_6_months"),
        **extra,
    }


def _parent(name: str, relationship: str, number: int, *, pr: bool = True, **extra: Any) -> dict[str, Any]:
    """A parent or carer who may be contacted by phone (a drama-range mobile number), unless `extra` says otherwise."""
    return {"name": name, "relationship": relationship, "parental_responsibility": pr, "may_contact": True,
            "preferred_contact": "phone", "phone": f"07700 900{number:03d}", **extra}


def _not_to_contact(name: str, relationship: str, reason: str) -> dict[str, Any]:
    return {"name": name, "relationship": relationship, "parental_responsibility": True, "may_contact": False,
            "do_not_contact_reason": reason}


def demo_referrals(today: date) -> list[dict[str, Any]]:
    return [
        _referral(1, today, given="Ava", family="Demo-Hart", years=11, concerns=["anxiety", "bereavement"],
                  reason="Since her grandmother died in the summer Ava has been tearful in class and reluctant to "
                         "come to school.",
                  parents_carers=[_parent("Rachel Demo-Hart", "mother", 101),
                                  _parent("Tom Demo-Hart", "father", 102, preferred_contact="email",
                                          email="tom.hart@example.org")]),
        _referral(2, today, given="Leo", family="Demo-Okafor", years=15, concerns=["self_harm", "low_mood"],
                  risks=["self_harm_recent", "mh_admission_risk"],
                  child={"diagnoses": ["autism"], "sen_status": "ehcp"}, impact="severe",
                  reason="Leo has cut his arms twice this month and the CAMHS worker is worried about an admission.",
                  parents_carers=[_parent("Adaeze Demo-Okafor", "mother", 103, interpreter_language="Yoruba")]),
        _referral(3, today, given="Mia", family="Demo-Patel", years=3,
                  concerns=["speech_sounds", "expressive_language"], role="health_visitor",
                  reason="At her 3-year review Mia uses few words and is hard for family to understand.",
                  parents_carers=[_parent("Priya Demo-Patel", "mother", 104, interpreter_language="Gujarati"),
                                  _parent("Kiran Demo-Patel", "grandparent", 105, pr=False)]),
        _referral(4, today, given="Noah", family="Demo-Brown", years=8, concerns=["anxiety", "parenting"],
                  risks=["harm_or_abuse_disclosure"],
                  reason="Noah told his teacher today that he is hit at home when his dad drinks.",
                  parents_carers=[_parent("Lucy Demo-Brown", "mother", 106),
                                  _not_to_contact("Mark Demo-Brown", "father",
                                                  "A court order forbids contact: speak to MASH before any contact.")]),
        _referral(5, today, given="Ella", family="Demo-Nowak", years=17, concerns=["behaviour_that_challenges"],
                  risks=["placement_breakdown"],
                  child={"diagnoses": ["learning_disability"], "social_care_status": "looked_after"},
                  consent={"basis": "young_person", "child_aware": True},
                  reason="Ella's residential placement is at risk of ending after several incidents this month.",
                  parents_carers=[_parent("Sandra Demo-Field", "foster_carer", 107, pr=False,
                                          email="sandra.field@example.org"),
                                  _not_to_contact("Joanna Demo-Nowak", "mother",
                                                  "Ella is looked after; contact with her mother goes through her "
                                                  "social worker.")],
                  young_person_contact={"preferred_contact": "phone", "phone": "07700 900108"}),
        _referral(6, today, given="Oscar", family="Demo-Smith", years=9, concerns=["feeding_swallowing"],
                  risks=["aspiration_signs"], role="school_nurse",
                  reason="Oscar coughs and chokes at most lunchtimes and has had two chest infections.",
                  parents_carers=[_parent("Helen Demo-Smith", "mother", 109, email="helen.smith@example.org")]),
        _referral(7, today, given="Isla", family="Demo-Jones", years=7, concerns=["housing", "finances", "attendance"],
                  reason="The family were evicted last month and Isla's attendance has fallen to 70 percent.",
                  parents_carers=[{"name": "Dawn Demo-Jones", "relationship": "mother", "parental_responsibility": True,
                                   "may_contact": True, "preferred_contact": "letter"}]),
        _referral(8, today, given="Jacob", family="Demo-Evans", years=12, concerns=["anxiety", "school_avoidance"],
                  consent={"basis": "none", "child_aware": False},
                  reason="Jacob has missed most of the last three weeks; his parents have not yet been asked about a "
                         "referral."),
    ]


def front_door_referrals(today: date) -> dict[str, dict[str, Any]]:
    """Referrals the rules cannot finish, so that the front-door queue has one item of each kind: an
    emergency, one for a person to decide, one out of scope, one waiting for information (the demo
    backdates it past the chase threshold) and a pair of records that may be the same child."""
    born = _born(today, 6, months=2)
    referrals = {
        "emergency": _referral(11, today, given="Freya", family="Demo-Clark", years=14,
                               concerns=["anxiety", "low_mood"], risks=["psychosis_signs"], impact="severe",
                               duration="under_1_month",
                               reason="Freya says she hears voices telling her to hurt herself and has stopped "
                                      "eating.",
                               parents_carers=[_parent("Karen Demo-Clark", "mother", 110)]),
        "manual_review": _referral(12, today, given="Harry", family="Demo-Singh", years=10, concerns=["bullying"],
                                   impact="mild", known_services=["camhs"],
                                   reason="Harry is being bullied on the way home; CAMHS already see him for "
                                          "something else.",
                                   parents_carers=[_parent("Fatima Demo-Singh", "mother", 111,
                                                           interpreter_language="Punjabi"),
                                                   _not_to_contact("Ravi Demo-Singh", "father",
                                                                   "A court order forbids contact with Harry's "
                                                                   "father.")]),
        "out_of_scope": _referral(13, today, given="Amelia", family="Demo-Reid", years=19, concerns=["anxiety"],
                                  impact="mild", reason="Amelia has left college and is anxious about finding work; "
                                                        "her former tutor asked for help.",
                                  young_person_contact={"preferred_contact": "email",
                                                        "email": "amelia.reid@example.org"},
                                  parents_carers=[{**_not_to_contact("Joy Demo-Reid", "mother",
                                                                     "Amelia is an adult and has asked that her "
                                                                     "mother is not contacted."),
                                                   "parental_responsibility": False}]),
        "needs_information": _referral(14, today, given="Zain", family="Demo-Ali", years=13, concerns=["low_mood"],
                                       consent={"basis": "none", "child_aware": False},
                                       reason="Zain has been withdrawn and tearful for weeks; the family has not "
                                              "yet been asked about a referral."),
        "duplicate": _referral(15, today, given="Grace", family="Demo-Wilson", years=6, concerns=["stammering"],
                               child={"date_of_birth": born, "postcode": "SS2 6HX"},
                               reason="Grace's stammer makes it hard for her to join in at carpet time."),
        "duplicate_again": _referral(16, today, given="Gracie", family="Demo-Wilson", years=6,
                                     concerns=["stammering"], child={"date_of_birth": born, "postcode": "SS2 6HX"},
                                     reason="Gracie's stammer is worse when she is tired; the family asked the "
                                            "school to refer again."),
    }
    del referrals["duplicate_again"]["child"]["nhs_number"]  # a near match: the same child, recorded differently
    return referrals




def adult_register_entry(today: date) -> dict[str, Any]:
    """An autistic adult at risk of admission, added to the Dynamic Support Register by adult social care."""
    return {
        "nhs_number": sample_nhs_number(900_014), "given_name": "Gareth", "family_name": "Pryce",
        "date_of_birth": _born(today, 41, 3), "diagnoses": ["autism", "learning_disability"],
        "risks": ["mh_admission_risk", "placement_breakdown"], "has_ehcp": False, "consent": "given",
        "consent_given_by": "Gareth Pryce", "referring_agency": "Adult social care",
        "referrer_contact": "asc.duty@example.gov.uk", "current_setting": "community",
        "reason": "His supported living placement is breaking down after two crises this month; the provider has "
                  "given notice and the crisis team has discussed an admission.",
    }


def demo_advice() -> list[dict[str, Any]]:
    """Questions the seeded SENCO asks without a referral: about a situation, never a named child."""
    return [
        {"question": "A Year 1 pupil is hard to understand outside her family and gets upset when adults do not "
                     "follow what she says. Is this a speech and language referral, or something to try in class "
                     "first?", "concerns": ["speech_sounds", "expressive_language"], "year_group": 1, "age": 6,
         "education_setting": {"name": "Seaview Primary Academy"}},
        {"question": "A Year 8 student has become very anxious about coming in since the autumn half-term and is "
                     "low in mood. What should school try before a referral?", "concerns": ["anxiety", "low_mood"],
         "year_group": 8, "age": 12, "education_setting": {"name": "Eastwood Academy"}},
    ]


DEMO_ANSWER = {"answer": "Speech sounds this unclear at six are beyond what class strategies usually fix. Please make "
                         "a referral to speech and language therapy; meanwhile, give her time and repeat back what "
                         "you understood.", "next_step": "make_referral", "refer_to": "salt"}


def seed_advice(intake: str, headers: Callable[[str, str], dict[str, str]]) -> str:
    """`make run DEMO=1`: the SENCO asks both questions through the advice API and the SALT worker answers the first
    (its concerns point to SALT); the second waits on the front door's queue. `headers(subject, role)`: a token's."""
    import httpx

    senco = headers("senco-seaview", "referrer")
    asked = [httpx.post(f"{intake}/advice", json=body, headers=senco, timeout=10) for body in demo_advice()]
    first = asked[0].json().get("advice_id") if asked[0].status_code == 201 else None
    answered = httpx.post(f"{intake}/advice/{first}/answer", json=DEMO_ANSWER, timeout=10,
                          headers=headers("worker-salt", "worker:salt")) if first else None
    return (f"advice asked ({', '.join(str(r.status_code) for r in asked)}), "
            f"one answered by SALT ({answered.status_code if answered else '-'})")


def merge_referrals(today: date) -> dict[str, dict[str, Any]]:
    """Two pairs of records the front door found to be one child (the merge history's demo): Amir's, merged and
    in force; Ruby's, merged, found wrong, undone and recorded as different children. The second of each pair has no
    NHS number and a name spelt differently: a possible duplicate of the first, never matched silently."""
    pairs = {"amir": ("Amir", "Demo-Rahman", "Demo-Rahmann", 5, "SS3 9LE"),
             "ruby": ("Ruby", "Demo-Lewis", "Demo-Lewes", 9, "SS0 7QP")}
    referrals = {}
    for n, (key, (given, family, again, years, postcode)) in enumerate(pairs.items()):
        child = {"date_of_birth": _born(today, years, months=4), "postcode": postcode}
        referrals[key] = _referral(21 + 2 * n, today, given=given, family=family, years=years,
                                   concerns=["parenting"], impact="mild", child=dict(child),
                                   reason=f"{given}'s family asked the school for help with routines at home.")
        referrals[f"{key}_again"] = _referral(22 + 2 * n, today, given=given, family=again, years=years,
                                              concerns=["parenting"], impact="mild", child=dict(child),
                                              reason=f"{given}'s parent asked the health visitor for parenting "
                                                     f"support.")
        del referrals[f"{key}_again"]["child"]["nhs_number"]
    return referrals


MERGE_REASONS = {"amir": "The school confirmed the family name was misspelt on the health visitor's referral.",
                 "ruby": "Same surname, date of birth and street: the school thought they were one child.",
                 "ruby_undone": "Ruby and her cousin share a date of birth; the school confirmed they are two "
                                "children."}


def seed_merges(intake: str, headers: Callable[[str, str], dict[str, str]], today: date) -> str:
    """`make run DEMO=1`: the merge history is not empty. The health visitor refers both pairs; Dana Wright on the
    front door merges Amir's records, and merges Ruby's, undoes it and records them as different children."""
    import httpx

    sender, front_door = headers("hv-east", "referrer"), headers("front-door-hub", "front_door")
    for body in merge_referrals(today).values():
        httpx.post(f"{intake}/referrals", json=body, headers=sender, timeout=10)
    pairs = httpx.get(f"{intake}/front-door/duplicates", headers=front_door, timeout=10).json()
    done = []
    for key, family in (("amir", "Demo-Rahman"), ("ruby", "Demo-Lewis")):
        pair = next((p for p in pairs if family in (p["child_a"]["family_name"], p["child_b"]["family_name"])), None)
        if pair is None:
            done.append(f"{key}: not flagged")
            continue
        keep, other = ((pair["child_a"], pair["child_b"]) if pair["child_a"]["family_name"] == family
                       else (pair["child_b"], pair["child_a"]))
        merged = httpx.post(f"{intake}/front-door/duplicates/merge", headers=front_door, timeout=10, json={
            "survivor_id": keep["child_id"], "merged_id": other["child_id"], "reason": MERGE_REASONS[key]})
        done.append(f"{key} merged ({merged.status_code})")
        if key == "ruby" and merged.status_code == 201:
            undo = httpx.post(f"{intake}/front-door/duplicates/merges/{merged.json()['merge_id']}/undo",
                              headers=front_door, timeout=10)
            different = httpx.post(f"{intake}/front-door/duplicates/different", headers=front_door, timeout=10,
                                   json={"child_a": keep["child_id"], "child_b": other["child_id"],
                                         "reason": MERGE_REASONS["ruby_undone"]})
            done.append(f"undone ({undo.status_code}), different ({different.status_code})")
    return "merge history: " + ", ".join(done)


def seed_holders(intake: str, worklists: str, headers: Callable[[str, str], dict[str, str]]) -> str:
    """`make run DEMO=1`: who is working on what. On the front-door queue Dana Wright picks up the first item waiting
    for a person to decide and Sol Ahmed the emergency, the rest stay unassigned; on SEMH's worklist Aisha Khan picks
    up one request and gives another to Ben Carter, the rest stay unassigned. Each person first uses the service, so
    it knows them as colleagues. A second run changes nothing (what is so already is not done again)."""
    import httpx

    dana, sol = ("front-door-hub", "front_door"), ("front-door-sol", "front_door")
    aisha, ben = ("worker-semh", "worker:semh"), ("worker-semh-2", "worker:semh")
    queue: dict[str, Any] = {}
    for who in (sol, dana):  # Sol first: Dana's answer is the queue read below
        queue = httpx.get(f"{intake}/front-door/queue", headers=headers(*who), timeout=30).json()
    requests: list[dict[str, Any]] = []
    for who in (ben, aisha):
        requests = httpx.get(f"{worklists}/worklists/semh", headers=headers(*who), timeout=10).json()
    items = queue.get("items", []) if isinstance(queue, dict) else []
    chosen = [(dana, next((i["referral_id"] for i in items if i["reason"] == "manual_review"), None)),
              (sol, next((i["referral_id"] for i in items if i["reason"] == "emergency"), None))]
    done = []
    for who, referral_id in chosen:
        if referral_id:
            answer = httpx.post(f"{intake}/front-door/referrals/{referral_id}/assignment", headers=headers(*who),
                                timeout=10, json={"action": "pick_up"})
            done.append(f"queue item picked up ({answer.status_code})")
    open_requests = [r["service_request_id"] for r in requests if isinstance(r, dict) and not r.get("held")
                     and r.get("status") in ("created", "accepted")]
    for n, request_id in enumerate(open_requests[:2]):
        path = f"{worklists}/worklists/semh/requests/{request_id}/assignment"
        body = {"action": "pick_up"} if n == 0 else {"action": "give", "to": ben[0]}
        answer = httpx.post(path, headers=headers(*aisha), timeout=10, json=body)
        done.append(f"SEMH request {body['action'].replace('_', ' ')} ({answer.status_code})")
    return "who is working on what: " + (", ".join(done) or "nothing to pick up")


DEMO_NOTES = {  # (who, role) -> the notes they write on: the front door's queue item, a SALT request, a register entry
    "queue": [("front-door-hub", "front_door",
               "Rang the school: the SENCO says the self-harm was two weeks ago and mum knows. Waiting for the GP's "
               "letter before deciding."),
              ("front-door-manager", "front_door_manager",
               "Talked through at the morning huddle: decide by Friday. If the GP's letter has not come by then, "
               "ring the surgery.")],
    "request": [("worker-salt", "worker:salt", "First appointment offered for Tuesday at 9:30am; mum asked for a "
                                                "morning slot so she can come before work."),
                ("worker-salt", "worker:salt", "Mum confirmed by phone.\nNo interpreter needed.")],
    "entry": [("dsr-member", "dsr_panel", "A bed was offered at the regional unit; the family would rather keep "
                                           "support at home. The keyworker visits on Monday."),
              ("dsr-chair", "dsr_chair", "Addendum: the visit moved to Tuesday (the keyworker is on leave Monday).")],
}


def seed_notes(intake: str, worklists: str, dsr: str, headers: Callable[[str, str], dict[str, str]]) -> str:
    """`make run DEMO=1`: case notes on a front-door queue item (one waiting for a person to decide), on a SALT
    request and on a register entry, by the seeded people. Each note's key is fixed, so a second run adds none."""
    import uuid

    import httpx

    def first(url: str, who: tuple[str, str], found: Callable[[Any], Any]) -> Any:
        answer = httpx.get(url, headers=headers(*who), timeout=10)
        return found(answer.json()) if answer.status_code == 200 else None

    queue = first(f"{intake}/front-door/queue", ("front-door-hub", "front_door"), lambda q: next(
        (i["referral_id"] for i in q["items"] if i["reason"] == "manual_review" and i.get("referral_id")), None))
    salt = first(f"{worklists}/worklists/salt", ("worker-salt", "worker:salt"), lambda items: next(
        (i["service_request_id"] for i in sorted(items, key=lambda i: i["status"] != "accepted") if not i["held"]),
        None))
    entry = first(f"{dsr}/dsr/agenda", ("dsr-member", "dsr_panel"), lambda agenda: next(
        (a["entry_id"] for a in sorted(agenda, key=lambda a: a.get("rating") != "red")), None))
    paths = {"queue": queue and f"{intake}/front-door/referrals/{queue}/notes",
             "request": salt and f"{worklists}/worklists/salt/requests/{salt}/notes",
             "entry": entry and f"{dsr}/dsr/entries/{entry}/notes"}
    done = []
    for where, notes in DEMO_NOTES.items():
        path = paths[where]
        answers = [httpx.post(path, headers=headers(who, role), timeout=10, json={
            "text": text, "key": str(uuid.uuid5(uuid.NAMESPACE_URL, f"frontdoor-demo-note/{where}/{n}"))}).status_code
            for n, (who, role, text) in enumerate(notes)] if path else []
        done.append(f"{where} ({', '.join(map(str, answers)) or 'nothing to note'})")
    return "case notes: " + ", ".join(done)
