"""One page per child (issue 23, item 2) and "who saw this child" (item 8), the portal's read model: what the services
answered, composed for a person. Pure: no call, no rendering (services/portal/routes/children.py does those).

The page's timeline is one list of `Entry` (when, kind, text, link, by), newest first, merged from any number of
sources: intake's record of the child (referrals, decisions, people's decisions and overrides, service outcomes,
advice, merges), the register's entries, a service's own requests, and any other source that gives entries (case
notes), each turned into entries by a function of its own (`*_entries`) and merged by `timeline`. Links go to the
page each role already has for the thing (a referral's page on the front door, a request's page for its service, an
entry's page for the DSR panel), none where the role has none."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.labels import label
from services.common.search import district_of
from services.portal.users import USERS, User, role_words


@dataclass(frozen=True)
class Entry:
    """One line of the child's timeline. `at`: ISO 8601 (as the services answer it); `kind`: what it is about in a
    word or two ("Referral", "Service request", "Note"); `href`: where to read more, if this person has a page for
    it; `by`: who did it, as people read it."""

    at: str
    kind: str
    text: str
    href: str | None = None
    by: str | None = None


def timeline(*sources: Iterable[Entry]) -> list[Entry]:
    """Every source's entries in one list, newest first (the same moment: in the order the sources were given)."""
    entries = [entry for source in sources for entry in source]
    return sorted(entries, key=lambda e: _instant(e.at), reverse=True)


def _instant(at: str) -> float:
    return datetime.fromisoformat(at).timestamp()


# --- links: the page each role has --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Links:
    """Where this person reads each thing (None: they have no page for it)."""

    user: User
    mash_requests: Mapping[str, str]  # referral id -> its safeguarding request (MASH reads a referral through it)

    def referral(self, referral_id: str | None) -> str | None:
        if not referral_id:
            return None
        if self.user.acts_as("front_door"):
            return f"/front-door/referrals/{referral_id}"
        request = self.mash_requests.get(referral_id) if self.user.role == "worker:safeguarding" else None
        return f"/work/safeguarding/{request}" if request else None

    def request(self, request: Mapping[str, Any]) -> str | None:
        service = self.user.role.removeprefix("worker:") if self.user.role.startswith("worker:") else None
        if service == request["service"]:
            return f"/work/{service}/{request['service_request_id']}"
        return self.referral(str(request["referral_id"]))

    def entry(self, entry_id: str) -> str | None:
        return f"/dsr/{entry_id}" if self.user.acts_as("dsr_panel") else None

    def advice(self, advice_id: str) -> str | None:
        return f"/advice/{advice_id}" if self.user.acts_as("front_door") else None


def links_for(user: User, record: Mapping[str, Any] | None) -> Links:
    mash = {str(r["referral_id"]): str(r["service_request_id"]) for r in (record or {}).get("service_requests", [])
            if r["service"] == "safeguarding"}
    return Links(user, mash)


# --- intake's record of the child -------------------------------------------------------------------------------

KINDS = {"submitted": "Referral", "completed_information": "Referral", "decision": "Decision",
         "redirect": "Redirect", "front_door_requested": "Front-door decision",
         "front_door_decision": "Front-door decision"}


def record_entries(record: Mapping[str, Any], links: Links) -> list[Entry]:
    """The child's timeline as intake keeps it (each line linked to its referral), advice and merges."""
    lines = [Entry(t["at"], KINDS.get(t["kind"], "Service request"), t["summary"], links.referral(t["referral_id"]),
                   t["by"]) for t in record["timeline"]]
    for advice in record["advice"]:
        href = links.advice(advice["advice_id"])
        service = f" ({label(advice['service'])})" if advice["service"] else ""
        lines.append(Entry(advice["asked_at"], "Advice", f"Advice asked for before the referral{service}", href))
        if advice["answered_at"]:
            lines.append(Entry(advice["answered_at"], "Advice", f"Advice given{service}", href))
    for merge in record["merges"]:
        lines += merge_entries(merge, str(record["child_id"]))
    return lines


def merge_entries(merge: Mapping[str, Any], child_id: str) -> list[Entry]:
    """A merge from this record's side: another record merged into it, or it merged into another (each linked)."""
    survivor = str(merge["survivor_id"]) == child_id
    other = str(merge["merged_id"] if survivor else merge["survivor_id"])
    text = ("Another record of the same child was merged into this one" if survivor
            else "This record was merged into another record of the same child") + f". Why: {merge['reason']}"
    by = f"{merge['by_name']}, front door" if merge["by_name"] else "the front door"
    lines = [Entry(merge["at"], "Merge", text, f"/children/{other}", by)]
    if merge["undone_at"]:
        lines.append(Entry(merge["undone_at"], "Merge", "The merge was undone: the records are separate again",
                           f"/children/{other}"))
    return lines


def entry_entries(entries: Iterable[Mapping[str, Any]], links: Links) -> list[Entry]:
    """The register's entries of the child: when each was opened, its rating and status now."""
    lines = []
    for e in entries:
        rating = f", rated {label(e['rating'])}" if e["rating"] else ", not rated yet"
        lines.append(Entry(e["created_at"], "Register entry",
                           f"Added to the Dynamic Support Register ({label(e['status']).lower()}{rating})",
                           links.entry(str(e["entry_id"]))))
    return lines


# --- a service's own requests ---------------------------------------------------------------------------------------

def request_entries(requests: Iterable[Mapping[str, Any]], links: Links) -> list[Entry]:
    """A service's own requests about the child: when each came, and where it stands when it last changed."""
    lines = []
    for r in requests:
        href = links.request(r)
        came = f"Request received: {label(r['pathway'])}, {label(r['priority']).lower()} priority"
        if r.get("received_at"):
            lines.append(Entry(r["received_at"], "Service request", came, href))
        if r["status"] != "created" and r.get("updated_at"):
            why = f": {r['outcome_reason']}" if r.get("outcome_reason") else ""
            lines.append(Entry(r["updated_at"], "Service request", f"{label(r['status'])}{why}", href))
    return lines


def shared_details(requests: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Who the child is, as far as the service's requests carry it (its sharing list): the newest request first."""
    details: dict[str, Any] = {}
    for r in requests:
        for key, value in (r.get("details") or {}).items():
            details.setdefault(key, value)
    return {"given_name": details.get("given_name"), "family_name": details.get("family_name"),
            "date_of_birth": details.get("date_of_birth"), "school": details.get("education_setting_name"),
            "postcode_district": district_of(details.get("postcode")), "nhs_number": details.get("nhs_number")}


# --- who saw this child ---------------------------------------------------------------------------------------------

OUTCOMES = {"allowed": "Allowed", "refused": "Refused", "not_found": "Refused: not found", "failed": "Failed"}
HOW = {"named": "The child's record", "in a list": "In a list", "through a record of the child":
       "A referral, request or entry of the child"}


def what_was_done(action: str) -> str:
    """An audited action as what the person did: viewed, searched, changed, exported (or opened the trail)."""
    code = action.casefold()
    if code.startswith("audit.who_saw"):
        return "Downloaded who saw this child" if code.endswith(".export") else "Opened who saw this child"
    if "export" in code or code.endswith(".csv") or code.endswith(".pdf"):
        return "Exported"
    if "search" in code:
        return "Searched"
    method, _, _ = action.partition(" ")
    if method in ("GET", "HEAD") or code.split(".")[-1] in READS:
        return "Viewed"
    return "Changed"


READS = {"read", "list", "queue", "child", "agenda", "duplicates", "held", "entries", "breaches", "register", "notes",
         "summary", "pack", "dead_letters", "counts"}


def who_it_was(actor: str, names: Mapping[str, str]) -> str:
    """The person's name where any service or the portal knows one; else their login id, said to be one; never
    blank."""
    if not actor:
        return "Not signed in (no valid sign-in)"
    return names.get(actor) or f"Unknown person (login ID: {actor})"


def known_names(reader: User) -> dict[str, str]:
    """Login id -> name, for every person the portal knows (the seeded people; with OIDC, the reader at least)."""
    return {key: user.name for key, user in USERS.items()} | {reader.key: reader.name}


def trail(parts: Mapping[str, list[dict[str, Any]]], names: Mapping[str, str]) -> list[dict[str, Any]]:
    """Each service's audit rows about the child merged into one trail, newest first: every row, as recorded (the
    download). People by the name a service knows for them (a service that knows a name names every row of that
    person, the latest it gave winning), else the portal's `names`. Where the services share one database (a
    laptop), each answers every row: a row answered twice is shown once."""
    answered = sorted((row | {"service": service} for service, rows in parts.items() for row in rows),
                      key=lambda r: _instant(r["at"]))
    known = dict(names) | {row["actor"]: row["name"] for row in answered if row.get("name")}
    seen: set[tuple[Any, ...]] = set()
    rows = []
    for row in answered:
        key = (row["audit_id"], row["at"], row["actor"], row["action"], row["outcome"])
        if key in seen:
            continue
        seen.add(key)
        rows.append(row | {
            "who": who_it_was(row["actor"], known),
            "role_words": role_words(row["role"]) if row["role"] else "None",
            "what": what_was_done(row["action"]),
            "outcome_words": OUTCOMES.get(row["outcome"], row["outcome"])
            + (f" ({row['status']})" if row["outcome"] != "allowed" and row["status"] else ""),
            "how_words": HOW.get(row["how"], row["how"])})
    return sorted(rows, key=lambda r: _instant(r["at"]), reverse=True)


LOOK_SECONDS = 5.0  # a look: one person's rows of one kind within this long of its first


def looks(rows: Iterable[Mapping[str, Any]], within: float = LOOK_SECONDS) -> list[dict[str, Any]]:
    """The trail (of one child) as people read it: one row per look. Opening one page reads from several services,
    each read audited, so one person's rows of the same kind (viewed, searched, changed, exported...) and the same
    outcome (allowed and refused kept apart) within `within` seconds of the first are one row, from when the first
    was, with every address and way it was about the child, and how many rows it stands for (`records`). Newest
    first."""
    groups: list[list[Mapping[str, Any]]] = []
    open_now: dict[tuple[Any, ...], list[Mapping[str, Any]]] = {}
    for row in sorted(rows, key=lambda r: (_instant(r["at"]), r["audit_id"])):
        key = (row["actor"], row["role"], row["what"], row["outcome"])
        group = open_now.get(key)
        if group is None or _instant(row["at"]) - _instant(group[0]["at"]) > within:
            group = open_now[key] = []
            groups.append(group)
        group.append(row)
    return sorted((_one_look(g) for g in groups), key=lambda r: _instant(r["at"]), reverse=True)


def _one_look(group: list[Mapping[str, Any]]) -> dict[str, Any]:
    first = group[0]
    outcomes = {r["outcome_words"] for r in group}
    addresses = ", ".join(dict.fromkeys(r["client_address"] for r in group if r["client_address"]))
    return dict(first) | {
        "records": len(group),
        "outcome_words": first["outcome_words"] if len(outcomes) == 1 else OUTCOMES.get(first["outcome"],
                                                                                        first["outcome"]),
        "client_address": addresses or None,
        "how_words": "; ".join(dict.fromkeys(r["how_words"] for r in group))}


TRAIL_COLUMNS = ("at", "who", "actor", "role", "what", "action", "outcome", "status", "client_address", "how",
                 "service", "audit_id")
