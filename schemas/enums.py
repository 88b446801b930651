"""Enumerations fixed by contracts.md and triage-policy.md (values are part of the wire format)."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    professional_portal = "professional_portal"
    self_referral_parent = "self_referral_parent"
    self_referral_young_person = "self_referral_young_person"
    api = "api"
    import_ = "import"


class Diagnosis(StrEnum):
    autism = "autism"
    autism_awaiting_assessment = "autism_awaiting_assessment"
    learning_disability = "learning_disability"
    adhd = "adhd"
    hearing_loss = "hearing_loss"


class SenStatus(StrEnum):
    none = "none"
    sen_support = "sen_support"
    ehcp = "ehcp"


class SocialCareStatus(StrEnum):
    none = "none"
    early_help = "early_help"
    child_in_need = "child_in_need"
    child_protection = "child_protection"
    looked_after = "looked_after"
    care_leaver = "care_leaver"


class ReferrerRole(StrEnum):
    school_senco = "school_senco"
    teacher = "teacher"
    gp = "gp"
    health_visitor = "health_visitor"
    school_nurse = "school_nurse"
    social_worker = "social_worker"
    early_help_worker = "early_help_worker"
    camhs_clinician = "camhs_clinician"
    parent_carer = "parent_carer"
    young_person = "young_person"
    police = "police"
    other = "other"


class ConsentBasis(StrEnum):
    parent_with_pr = "parent_with_pr"
    young_person = "young_person"
    best_interests = "best_interests"
    not_sought_safeguarding = "not_sought_safeguarding"
    none = "none"


class Relationship(StrEnum):
    """How a parent or carer is related to the child (contract 1.1, `parents_carers[].relationship`)."""

    mother = "mother"
    father = "father"
    step_parent = "step_parent"
    grandparent = "grandparent"
    foster_carer = "foster_carer"
    special_guardian = "special_guardian"
    other = "other"


class ContactMethod(StrEnum):
    """How a person prefers to be contacted (contract 1.1, `preferred_contact`)."""

    phone = "phone"
    email = "email"
    letter = "letter"


class Concern(StrEnum):
    # SEMH
    anxiety = "anxiety"
    low_mood = "low_mood"
    self_harm = "self_harm"
    suicidal_ideation = "suicidal_ideation"
    eating = "eating"
    trauma = "trauma"
    obsessive_compulsive = "obsessive_compulsive"
    sleep = "sleep"
    anger_regulation = "anger_regulation"
    school_avoidance = "school_avoidance"
    behaviour_that_challenges = "behaviour_that_challenges"
    # life events
    bereavement = "bereavement"
    family_separation = "family_separation"
    bullying = "bullying"
    low_self_esteem = "low_self_esteem"
    relationship_difficulties = "relationship_difficulties"
    # communication
    speech_sounds = "speech_sounds"
    expressive_language = "expressive_language"
    receptive_language = "receptive_language"
    social_communication = "social_communication"
    stammering = "stammering"
    voice = "voice"
    selective_mutism = "selective_mutism"
    feeding_swallowing = "feeding_swallowing"
    # family
    parenting = "parenting"
    family_conflict = "family_conflict"
    parental_mental_health = "parental_mental_health"
    parental_substance_use = "parental_substance_use"
    housing = "housing"
    finances = "finances"
    attendance = "attendance"
    young_carer = "young_carer"
    # safeguarding
    domestic_abuse = "domestic_abuse"
    exploitation = "exploitation"


class Risk(StrEnum):
    suicide_plan_or_intent = "suicide_plan_or_intent"
    psychosis_signs = "psychosis_signs"
    self_harm_recent = "self_harm_recent"
    eating_red_flags = "eating_red_flags"
    ae_attendance_mental_health = "ae_attendance_mental_health"
    risk_to_others = "risk_to_others"
    harm_or_abuse_disclosure = "harm_or_abuse_disclosure"
    exploitation_indicators = "exploitation_indicators"
    missing_episodes = "missing_episodes"
    mh_admission_risk = "mh_admission_risk"
    mh_inpatient_current = "mh_inpatient_current"
    placement_breakdown = "placement_breakdown"
    criminal_justice_involvement = "criminal_justice_involvement"
    aspiration_signs = "aspiration_signs"
    exclusion_risk = "exclusion_risk"


class KnownService(StrEnum):
    camhs = "camhs"
    mhst = "mhst"
    counselling = "counselling"
    salt = "salt"
    early_help = "early_help"
    social_care = "social_care"


class Impact(StrEnum):
    mild = "mild"
    moderate = "moderate"
    severe = "severe"


class Duration(StrEnum):
    under_1_month = "under_1_month"
    one_to_6_months = "1_to_6_months"
    over_6_months = "over_6_months"


class Service(StrEnum):
    """Services with a queue topic `frontdoor.queue.<service>`, in the policy's route order."""

    safeguarding = "safeguarding"
    semh = "semh"
    counselling = "counselling"
    salt = "salt"
    early_help = "early_help"


class Priority(StrEnum):
    emergency = "emergency"
    urgent = "urgent"
    soon = "soon"
    routine = "routine"


class Outcome(StrEnum):
    routed = "routed"
    emergency = "emergency"
    needs_information = "needs_information"
    manual_review = "manual_review"
    out_of_scope = "out_of_scope"


class DsrRating(StrEnum):
    red = "red"
    amber = "amber"
    green = "green"
    blue = "blue"


class DsrConsent(StrEnum):
    given = "given"
    needed = "needed"


class DsrSource(StrEnum):
    """How a person reached the register: a children's referral that triage named a candidate, or added
    directly by the DSR panel or an adult-services or health practitioner (any age)."""

    triage = "triage"
    direct = "direct"


class DsrRisk(StrEnum):
    """The risks that put a person on the register (the reference ruleset's DSR_RISKS group)."""

    mh_admission_risk = "mh_admission_risk"
    mh_inpatient_current = "mh_inpatient_current"
    placement_breakdown = "placement_breakdown"
    ae_attendance_mental_health = "ae_attendance_mental_health"
    criminal_justice_involvement = "criminal_justice_involvement"
    suicide_plan_or_intent = "suicide_plan_or_intent"
    self_harm_recent = "self_harm_recent"


class OutcomeEventType(StrEnum):
    accepted = "service_request.accepted"
    declined = "service_request.declined"
    redirected = "service_request.redirected"
    completed = "service_request.completed"
    released = "service_request.released"
    breached = "service_request.breached"  # not accepted by its due_by (worklists.md)
    withdrawn = "service_request.withdrawn"  # a person's decision took the request away (never an accepted one)


class DsrChangeType(StrEnum):
    entry_created = "dsr.entry_created"
    candidate_noted = "dsr.candidate_noted"
    rating_changed = "dsr.rating_changed"
    review_recorded = "dsr.review_recorded"
    consent_changed = "dsr.consent_changed"
    entry_closed = "dsr.entry_closed"
