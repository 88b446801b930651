"""A referral's summary for the child's family or school, in plain words (pure): what was asked, what was decided
and why, and who will be in touch, by when.

It is made from the referral as its referrer sees it (services/intake/referrals/views.py: nothing of other
referrers' activity, reasons resting on the child's history worded without it), less what the safeguarding hub
(MASH) has to decide first. While MASH has not decided (a MASH request of the referral, or a request held for MASH,
not yet answered) the summary leaves out MASH's request, every request held for it, the reasons of the rules that
send to MASH or hold for it, and the worries those rules look for: telling a family that a worry of harm was passed
on is MASH's call. Once MASH has decided, the summary says what the referrer's own page says. The register's
suggestion (DSR) is the panel's business, never a family letter's, so its reasons are left out too.

Which requests are MASH's, which rules and worries, is the policy's answer (services/policy/safeguarding.py): the
rules that make the other requests wait for MASH, the requests they send and the concerns and risks they read."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from schemas.labels import LONDON, day, in_sentence, label
from schemas.lifecycle import RequestStatus

MashRoutes = frozenset[tuple[str, str]]  # (service, pathway) of MASH's own requests; pathway "*": any
ANY = "*"


def _mash(request: dict[str, Any], mash_routes: MashRoutes) -> bool:
    return bool({(request["service"], request.get("pathway", "")), (request["service"], ANY)} & mash_routes)


def mash_deciding(requests: Iterable[dict[str, Any]], mash_routes: MashRoutes) -> bool:
    """MASH has yet to decide: its own request, or one held for it, is still waiting for an answer."""
    return any(r["status"] == RequestStatus.created and (r["held"] or _mash(r, mash_routes)) for r in requests)


def _left_out(request: dict[str, Any], deciding: bool, mash_routes: MashRoutes) -> bool:
    """A request the summary leaves out: withdrawn (replaced or no longer asked), or MASH's or held while MASH
    decides."""
    if request["status"] == RequestStatus.withdrawn:
        return True
    return deciding and (request["held"] or _mash(request, mash_routes))


def next_step(request: dict[str, Any], today: date) -> str:
    """What happens next with a request, in a sentence after the service's name."""
    status, emergency = request["status"], request["priority"] == "emergency"
    due = day(request["due_by"], time=emergency)
    if status == RequestStatus.created:
        if _due_day(request["due_by"]) < today:
            return f"was due to reply by {due}; the front door is following this up"
        return f"will contact you straight away, by {due}" if emergency else (
            f"will look at the request and reply by {due}")
    if status == RequestStatus.accepted:
        return "has agreed to help and will contact you to arrange it"
    if status == RequestStatus.completed:
        return "has finished its work with the child"
    state = request.get("state") or label(status).lower()  # declined or redirected: the referrer's own words
    return f"{state}" if status != RequestStatus.declined else f"cannot help: {state.removeprefix('declined — ')}"


def _due_day(due_by: str) -> date:
    return datetime.fromisoformat(due_by).astimezone(LONDON).date()


def decided_words(decision: dict[str, Any] | None, services: list[str]) -> str:
    """What was decided, in a sentence, naming only the services the summary shows."""
    if decision is None:
        return "The front door has not decided yet. We will write again when it has."
    outcome = decision["outcome"]
    named = _and([in_sentence(s) for s in dict.fromkeys(services)])  # service codes, each once
    if outcome == "needs_information":
        missing = _and([in_sentence(m) for m in decision.get("missing") or []]) or "more information"
        return f"We need more information before we can ask a service to help: {missing}."
    if outcome == "out_of_scope":
        return "Children's services cannot help with this request. The reasons below say who can."
    if outcome == "manual_review":
        return "A person on the front-door team is looking at the request to decide who can help best."
    if outcome == "emergency" and named:
        return f"This is an emergency. We have asked {named} to respond straight away."
    if named:
        return f"We have asked {named} to help."
    return "The front door is arranging who will help. We will write again when a service has the request."


def _and(items: list[str]) -> str:
    return f"{', '.join(items[:-1])} and {items[-1]}" if len(items) > 1 else "".join(items)


def family_summary(view: dict[str, Any], *, mash_rules: frozenset[str], mash_routes: MashRoutes,
                   mash_codes: frozenset[str], register_rules: frozenset[str], today: date) -> dict[str, Any]:
    """The summary (schemas.views.summaries.FamilySummary) of `view`, the referral as its referrer sees it.
    `mash_rules`, `mash_routes`, `mash_codes`: the policy's rules holding the other requests for MASH, the requests
    they send and the worries they look for (services/policy/safeguarding.py); `register_rules`: the register's."""
    referral, decision = view["referral"], view.get("decision")
    requests = view["service_requests"]
    deciding = mash_deciding(requests, mash_routes)
    shown = [r for r in requests if not _left_out(r, deciding, mash_routes)]
    hidden_rules = register_rules | (mash_rules if deciding else frozenset())
    hidden_codes = mash_codes if deciding else frozenset()
    child, referrer = referral["child"], referral["referrer"]
    why = [e["because"] for e in (decision or {}).get("explanation") or [] if e["rule_id"] not in hidden_rules]
    first = [r["service"] for r in shown if not r.get("redirect_of")]
    return {
        "referral_id": view["referral_id"],
        "reference": view["referral_id"][:8].upper(),
        "child": {"name": f"{child['given_name']} {child['family_name']}", "date_of_birth": child["date_of_birth"],
                  "school": (child.get("education_setting") or {}).get("name")},
        "made_on": datetime.fromisoformat(view["submitted_at"]).astimezone(LONDON).date(),
        "made_by": {"name": referrer["name"], "role": label(referrer["role"]),
                    "organisation": referrer.get("organisation")},
        "concerns": [label(c) for c in referral["concerns"] if c not in hidden_codes],
        "risks": [label(r) for r in referral.get("risks") or [] if r not in hidden_codes],
        "decided": decided_words(decision, first),
        "decided_on": datetime.fromisoformat(str(decision["decided_at"]).replace("Z", "+00:00"))
        .astimezone(LONDON).date() if decision else None,
        "why": list(dict.fromkeys(why)),
        "next_steps": [{"service": label(r["service"]), "what": next_step(r, today)} for r in shown],
        "left_out": deciding,  # MASH's request or one held for it, at least, is left out
    }
