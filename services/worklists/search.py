"""Find a child, a service's workers' side: only the children of the service's own requests, by what each request
carries (its `details`, as the service's sharing list gave them), never a request held for MASH (until MASH
releases it, its workers may not see the child). The shared ranking decides (`services.common.search`)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from services.common import search
from services.worklists.handlers import NOT_RECEIVED
from services.worklists.tables import WorklistItem


def record_of(item: WorklistItem) -> search.Record:
    details = item.details
    return search.Record(
        child_id=str(item.child_id), given_name=details.get("given_name"), family_name=details.get("family_name"),
        date_of_birth=search.born(details.get("date_of_birth")), at=item.received_at,
        nhs_number=details.get("nhs_number"), postcode=details.get("postcode"),
        school=details.get("education_setting_name"), references=(item.id.hex.upper(), item.referral_id.hex.upper()))


def search_requests(session: Session, service: str, query: search.Query) -> dict[str, Any]:
    """The children of `service`'s own requests (any state, none held for MASH) that answer `query`."""
    if not query.kinds:
        return search.answer(query, [])
    items = session.exec(select(WorklistItem).where(WorklistItem.service == service, col(WorklistItem.held).is_(False),
                                                    WorklistItem.priority != NOT_RECEIVED)).all()
    return search.answer(query, [record_of(i) for i in items])
