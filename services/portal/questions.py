"""The referral form as GOV.UK question pages: which fields each page asks, and how a page's form
data becomes part of the Referral the intake API validates (the API is the one validator)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schemas.enums import (
    Concern,
    ConsentBasis,
    Diagnosis,
    Duration,
    Impact,
    KnownService,
    ReferrerRole,
    Risk,
    SenStatus,
    SocialCareStatus,
)
from schemas.labels import label


def choices(enum: Any) -> list[tuple[str, str]]:
    return [(m.value, label(m.value)) for m in enum]


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    fields: tuple[str, ...]  # the referral's field paths this page asks
    hint: str = ""
    options: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


PAGES = (
    Page("child", "About the child",
         ("child.given_name", "child.family_name", "child.date_of_birth", "child.nhs_number", "child.postcode")),
    Page("setting", "School or setting",
         ("child.education_setting.name", "child.education_setting.urn", "child.education_setting.year_group",
          "child.education_setting.has_mhst", "child.sen_status", "child.social_care_status", "child.diagnoses"),
         options={"child.sen_status": choices(SenStatus), "child.social_care_status": choices(SocialCareStatus),
                  "child.diagnoses": choices(Diagnosis)}),
    Page("needs", "What is happening", ("concerns", "impact", "duration", "risks", "known_services"),
         options={"concerns": choices(Concern), "impact": choices(Impact), "duration": choices(Duration),
                  "risks": choices(Risk), "known_services": choices(KnownService)}),
    Page("consent", "Consent", ("consent.basis", "consent.child_aware"),
         options={"consent.basis": choices(ConsentBasis)}),
    Page("reason", "Why you are referring now", ("reason", "voice_of_child")),
    Page("referrer", "About you",
         ("referrer.name", "referrer.role", "referrer.organisation", "referrer.email", "referrer.phone"),
         options={"referrer.role": choices(ReferrerRole)}),
)
PAGE_OF = {path: page for page in PAGES for path in page.fields}
LIST_FIELDS = {"child.diagnoses", "concerns", "risks", "known_services"}
BOOL_FIELDS = {"child.education_setting.has_mhst", "consent.child_aware"}


def html_id(path: str) -> str:
    return path.replace(".", "-")


def page(slug: str) -> Page | None:
    return next((p for p in PAGES if p.slug == slug), None)


def next_page(slug: str) -> str:
    index = [p.slug for p in PAGES].index(slug)
    return PAGES[index + 1].slug if index + 1 < len(PAGES) else "check"


def read(page_: Page, form: dict[str, list[str]]) -> dict[str, Any]:
    """This page's answers as {path: value}; empty optional answers are left out."""
    answers: dict[str, Any] = {}
    for path in page_.fields:
        if path == "child.date_of_birth":
            parts = [form.get(f"dob-{p}", [""])[0].strip() for p in ("year", "month", "day")]
            answers[path] = "-".join(p.zfill(2) if i else p for i, p in enumerate(parts)) if all(parts) else ""
        elif path in LIST_FIELDS:
            answers[path] = [v for v in form.get(html_id(path), []) if v]
        elif path in BOOL_FIELDS:
            answers[path] = form.get(html_id(path), [""])[0] == "yes"
        else:
            answers[path] = form.get(html_id(path), [""])[0].strip()
    return answers


def to_referral(draft: dict[str, Any]) -> dict[str, Any]:
    """The draft's answers as a Referral body (blank optional fields omitted, setting only if named)."""
    body: dict[str, Any] = {"channel": "professional_portal"}
    for path, value in draft.items():
        if value in ("", None) or (path in LIST_FIELDS and not value and path != "concerns"):
            continue
        target = body
        *parents, leaf = path.split(".")
        for key in parents:
            target = target.setdefault(key, {})
        target[leaf] = value
    setting = body.get("child", {}).get("education_setting")
    if setting is not None and "name" not in setting:
        body["child"].pop("education_setting")
    return body


REQUIRED = {
    "child.given_name": "Enter the child's first name",
    "child.family_name": "Enter the child's last name",
    "child.date_of_birth": "Enter the child's date of birth, for example 27 3 2014",
    "child.postcode": "Enter the child's home postcode",
    "concerns": "Choose at least one thing you are concerned about",
    "impact": "Choose how much this affects the child's daily life",
    "duration": "Choose how long this has been happening",
    "consent.basis": "Choose who has agreed to this referral",
    "reason": "Tell us what is happening and why you are referring now",
    "referrer.name": "Enter your name",
    "referrer.role": "Choose your role",
}


def required_missing(page_: Page, answers: dict[str, Any]) -> dict[str, str]:
    """Blank required answers on this page, as {path: message}. Everything else the API checks."""
    return {path: REQUIRED[path] for path in page_.fields if path in REQUIRED and answers.get(path) in ("", [], None)}
