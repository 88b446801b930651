"""Words, not codes: the one mapping from every code a page or a report shows (enum values, field names)
to plain English, with NHS numbers in 3-3-4 groups and dates as "25 November 2026". Pure: the portal's
pages and the reports both use it."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from schemas.enums import (
    Channel,
    Concern,
    ConsentBasis,
    ContactMethod,
    Diagnosis,
    DsrChangeType,
    DsrConsent,
    DsrRating,
    DsrRisk,
    DsrSource,
    Duration,
    Impact,
    KnownService,
    Outcome,
    OutcomeEventType,
    Priority,
    ReferrerRole,
    Relationship,
    Risk,
    SenStatus,
    Service,
    SocialCareStatus,
)
from schemas.lifecycle import Action, RequestStatus

LONDON = ZoneInfo("Europe/London")

# Each enum's words, sentence case (a value shared by two enums reads the same in both).
ENUM_LABELS: dict[type, dict[str, str]] = {
    Channel: {"professional_portal": "Professional portal",
              "self_referral_parent": "Self-referral by a parent or carer",
              "self_referral_young_person": "Self-referral by the young person",
              "api": "Another system (API)", "import": "Bulk import"},
    Diagnosis: {"autism": "Autism", "autism_awaiting_assessment": "Waiting for an autism assessment",
                "learning_disability": "Learning disability", "adhd": "ADHD", "hearing_loss": "Hearing loss"},
    SenStatus: {"none": "None", "sen_support": "SEN support", "ehcp": "EHC plan"},
    SocialCareStatus: {"none": "None", "early_help": "Early help", "child_in_need": "Child in need",
                       "child_protection": "Child protection plan", "looked_after": "Looked after",
                       "care_leaver": "Care leaver"},
    ReferrerRole: {"school_senco": "School SENCO", "teacher": "Teacher", "gp": "GP", "health_visitor": "Health visitor",
                   "school_nurse": "School nurse", "social_worker": "Social worker",
                   "early_help_worker": "Early help worker", "camhs_clinician": "CAMHS clinician",
                   "parent_carer": "Parent or carer", "young_person": "Young person", "police": "Police",
                   "other": "Other"},
    ConsentBasis: {"parent_with_pr": "A parent with parental responsibility", "young_person": "Young person",
                   "best_interests": "A best-interests decision",
                   "not_sought_safeguarding": "Not sought, for safeguarding reasons", "none": "None"},
    Relationship: {"mother": "Mother", "father": "Father", "step_parent": "Step-parent", "grandparent": "Grandparent",
                   "foster_carer": "Foster carer", "special_guardian": "Special guardian", "other": "Other"},
    ContactMethod: {"phone": "Phone", "email": "Email", "letter": "Letter"},
    Concern: {
        "anxiety": "Anxiety", "low_mood": "Low mood", "self_harm": "Self-harm",
        "suicidal_ideation": "Suicidal thoughts",
        "eating": "Eating difficulties", "trauma": "Trauma", "obsessive_compulsive": "Obsessive-compulsive behaviour",
        "sleep": "Sleep problems", "anger_regulation": "Managing anger", "school_avoidance": "Avoiding school",
        "behaviour_that_challenges": "Behaviour that challenges", "bereavement": "Bereavement",
        "family_separation": "Family separation", "bullying": "Bullying", "low_self_esteem": "Low self-esteem",
        "relationship_difficulties": "Relationship difficulties", "speech_sounds": "Speech sounds",
        "expressive_language": "Using language", "receptive_language": "Understanding language",
        "social_communication": "Social communication", "stammering": "Stammering", "voice": "Voice problems",
        "selective_mutism": "Selective mutism", "feeding_swallowing": "Feeding and swallowing",
        "parenting": "Parenting", "family_conflict": "Family conflict",
        "parental_mental_health": "A parent's mental health",
        "parental_substance_use": "A parent's drug or alcohol use",
        "housing": "Housing", "finances": "Money worries", "attendance": "School attendance",
        "young_carer": "Young carer", "domestic_abuse": "Domestic abuse", "exploitation": "Exploitation",
    },
    Risk: {
        "suicide_plan_or_intent": "A suicide plan or intent", "psychosis_signs": "Signs of psychosis",
        "self_harm_recent": "Recent self-harm", "eating_red_flags": "Eating disorder warning signs",
        "ae_attendance_mental_health": "A&E attendance for mental health", "risk_to_others": "Risk to others",
        "harm_or_abuse_disclosure": "A disclosure of harm or abuse",
        "exploitation_indicators": "Signs of exploitation", "missing_episodes": "Missing from home or care",
        "mh_admission_risk": "Risk of a mental health hospital admission",
        "mh_inpatient_current": "Currently a mental health inpatient", "placement_breakdown": "Placement breakdown",
        "criminal_justice_involvement": "Involved with the criminal justice system",
        "aspiration_signs": "Signs of food or drink going into the lungs",
        "exclusion_risk": "Risk of exclusion from school",
    },
    KnownService: {"camhs": "CAMHS", "mhst": "Mental Health Support Team", "counselling": "Counselling",
                   "salt": "Speech and language therapy", "early_help": "Early help",
                   "social_care": "Children's social care"},
    Impact: {"mild": "Mild", "moderate": "Moderate", "severe": "Severe"},
    Duration: {"under_1_month": "Less than a month", "1_to_6_months": "1 to 6 months",
               "over_6_months": "More than 6 months"},
    Service: {"safeguarding": "Safeguarding", "semh": "Mental health (SEMH)", "counselling": "Counselling",
              "salt": "Speech and language therapy", "early_help": "Early help"},
    Priority: {"emergency": "Emergency", "urgent": "Urgent", "soon": "Soon", "routine": "Routine"},
    Outcome: {"routed": "Routed", "emergency": "Emergency", "needs_information": "Needs information",
              "manual_review": "For the front door to decide", "out_of_scope": "Out of scope"},
    DsrRating: {"red": "Red", "amber": "Amber", "green": "Green", "blue": "Blue"},
    DsrConsent: {"given": "Given", "needed": "Needed"},
    DsrSource: {"triage": "A children's referral", "direct": "Added directly"},
    OutcomeEventType: {
        "service_request.accepted": "Request accepted", "service_request.declined": "Request declined",
        "service_request.redirected": "Request redirected", "service_request.completed": "Request completed",
        "service_request.released": "Released by MASH", "service_request.breached": "Not accepted by its due date",
        "service_request.withdrawn": "Request withdrawn",
    },
    DsrChangeType: {
        "dsr.entry_created": "Added to the register", "dsr.candidate_noted": "Noted as possibly for the register",
        "dsr.rating_changed": "Rating changed", "dsr.review_recorded": "Review recorded",
        "dsr.consent_changed": "Consent changed", "dsr.entry_closed": "Entry closed",
    },
    RequestStatus: {"created": "New", "accepted": "Accepted", "declined": "Declined", "redirected": "Redirected",
                    "completed": "Completed", "withdrawn": "Withdrawn"},
    Action: {"accept": "Accept", "decline": "Decline", "redirect": "Redirect", "complete": "Complete"},
}
ENUM_LABELS[DsrRisk] = {risk.value: ENUM_LABELS[Risk][risk.value] for risk in DsrRisk}  # the same words as Risk

# Codes that are not enums of the contract: the ruleset's pathways and missing information, referral and
# register statuses, review tracks, ways of making contact, a person's changes to a decision.
OTHER_VALUES = {
    # pathways (the ruleset's)
    "allocated_social_worker": "Allocated social worker", "community": "Community", "crisis": "Crisis",
    "dysphagia": "Swallowing (dysphagia)", "early_support": "Early support", "existing_team": "Existing team",
    "family": "Family", "family_support": "Family support", "individual": "Individual", "mash": "MASH",
    # what a referral can be missing
    "consent": "Consent", "child_agreement": "The child's agreement", "parental_consent": "A parent's consent",
    # a referral's status; the register's statuses, review tracks, consent and closing reasons
    "submitted": "Being decided", "decided": "Decided",
    "pending_consent": "Waiting for consent", "pending_review": "Waiting for a first review", "active": "Active",
    "closed": "Closed", "CETR": "Care, education and treatment review (CETR)",
    "CTR": "Care and treatment review (CTR)", "person": "The person themself",
    "no_longer_needed": "No longer at risk of admission", "moved_out_of_area": "Moved out of the area",
    "transferred": "Transferred to another register",
    "inpatient": "Inpatient (mental health hospital)",
    # how contact was made; a person's changes to a decision
    "phone": "Phone", "email": "Email", "in_person": "In person", "video": "Video call",
    "add_route": "Route added", "withdraw_route": "Route withdrawn", "change_priority": "Priority changed",
    "close": "Closed with a signpost",
    # what a proposed ruleset changes in a decision (the policy what-if)
    "outcome_changed": "Outcome changed", "route_added": "Route added", "route_removed": "Route removed",
    "pathway_changed": "Pathway changed", "priority_up": "Priority up", "priority_down": "Priority down",
    "due_date_moved": "Due date moved", "held_changed": "Held or not held", "dsr_changed": "DSR candidate or rating",
    "missing_changed": "Missing information",
}

# Field names a page shows (the referral's and the details a service receives).
FIELDS = {
    "given_name": "First name", "family_name": "Last name", "date_of_birth": "Date of birth",
    "nhs_number": "NHS number", "postcode": "Home postcode", "education_setting": "School or setting",
    "education_setting_name": "School or setting", "urn": "School URN", "has_mhst": "Mental Health Support Team",
    "year_group": "Year group", "diagnoses": "Diagnoses", "sen_status": "SEN status",
    "social_care_status": "Social care status", "referrer_name": "Referrer's name",
    "referrer_role": "Referrer's role", "referrer_organisation": "Referrer's organisation",
    "referrer_email": "Referrer's email", "referrer_phone": "Referrer's phone", "consent_basis": "Who agreed",
    "basis": "Who agreed", "child_aware": "The child knows and agrees", "reason": "Why now",
    "concerns": "Concerns", "risks": "Risks", "impact": "Effect on daily life", "duration": "How long",
    "known_services": "Services already involved", "voice_of_child": "What the child says", "name": "Name",
    "role": "Role", "organisation": "Organisation", "channel": "How it was sent",
    # who to contact about the child (contract 1.1)
    "parents_carers": "Parents and carers", "young_person_contact": "The young person's own contact",
    "relationship": "Relationship to the child", "parental_responsibility": "Parental responsibility",
    "phone": "Phone", "email": "Email", "preferred_contact": "Preferred contact",
    "interpreter_language": "Interpreter", "may_contact": "May be contacted",
    "do_not_contact_reason": "Why they must not be contacted",
}

# Fields whose values are codes (each shown through VALUES); every other field holds a person's own words.
CODED = {
    "diagnoses", "sen_status", "social_care_status", "referrer_role", "role", "consent_basis", "basis", "concerns",
    "risks", "impact", "duration", "known_services", "channel", "service", "pathway", "priority", "outcome",
    "status", "rating", "suggested_rating", "review_track", "missing", "kind", "how", "relationship",
    "preferred_contact",
}

VALUES: dict[str, str] = {value: words for words_of in ENUM_LABELS.values() for value, words in words_of.items()}
VALUES |= OTHER_VALUES
WORDS: dict[str, str] = VALUES | FIELDS


def label(code: object) -> str:
    """A code (an enum value or a field name) in plain English; an unknown one with its underscores as spaces."""
    text = str(code.value if hasattr(code, "value") else code)
    if text in WORDS:
        return WORDS[text]
    return text.replace("_", " ").capitalize()


def nhs(number: object) -> str:
    """An NHS number in 3-3-4 groups ("943 476 5919"); anything else as it is."""
    digits = "".join(str(number or "").split())
    if len(digits) != 10 or not digits.isdigit():
        return str(number or "")
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def _parsed(value: object) -> date | datetime | None:
    if isinstance(value, date):  # a datetime is a date too
        return value
    text = str(value or "").strip()
    try:
        return date.fromisoformat(text) if len(text) == 10 else datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def day(value: object, *, time: bool = False) -> str:
    """A date as "25 November 2026"; with `time`, a datetime also gets its London time ("25 November 2026,
    9:30am"). An ISO string is read first; anything unreadable is shown as it is."""
    when = _parsed(value)
    if when is None:
        return str(value or "")
    if isinstance(when, datetime):
        local = when.astimezone(LONDON) if when.tzinfo else when
        shown = f"{local.day} {local:%B %Y}"
        if not time:
            return shown
        hour = local.hour % 12 or 12
        minutes = f":{local.minute:02d}" if local.minute else ""
        return f"{shown}, {hour}{minutes}{'am' if local.hour < 12 else 'pm'}"
    return f"{when.day} {when:%B %Y}"


def in_sentence(code: object) -> str:
    """A code's words set inside a sentence ("Sent to MASH", "risks: A&E attendance for mental health"): the
    label with a small first letter, unless its first word is an acronym (two or more capitals: MASH, A&E, SEMH),
    which keeps its capitals. Lower-casing the whole label would lose every acronym in it."""
    words = label(code)
    first = words.split(" ", 1)[0]
    if sum(c.isupper() for c in first) >= 2:  # noqa: PLR2004 - an acronym: two capitals or more
        return words
    return words[:1].lower() + words[1:]
