"""Front Door contracts, version 1: the Pydantic models that the exported JSON Schema and AsyncAPI come from."""

from schemas.events import (
    TOPIC_DECISIONS,
    TOPIC_DSR_CHANGES,
    TOPIC_OUTCOMES,
    TOPIC_SUBMITTED,
    DsrSuggestion,
    Envelope,
    Explanation,
    History,
    ReferralSubmitted,
    Route,
    ServiceDetails,
    ServiceOutcome,
    ServiceRequestCreated,
    TriageDecided,
    TriageDecision,
    dlq_topic,
    queue_topic,
)
from schemas.referral import Referral, age_on

__all__ = [
    "TOPIC_DECISIONS",
    "TOPIC_DSR_CHANGES",
    "TOPIC_OUTCOMES",
    "TOPIC_SUBMITTED",
    "DsrSuggestion",
    "Envelope",
    "Explanation",
    "History",
    "Referral",
    "ReferralSubmitted",
    "Route",
    "ServiceDetails",
    "ServiceOutcome",
    "ServiceRequestCreated",
    "TriageDecided",
    "TriageDecision",
    "age_on",
    "dlq_topic",
    "queue_topic",
]
