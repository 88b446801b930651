"""Seeded people for signing in on a laptop (AUTH_MODE=dev). Keys are ids, not names."""

from __future__ import annotations

from dataclasses import dataclass

from schemas.enums import Service
from services.common.auth import AUDIT_READERS, LEADS


@dataclass(frozen=True)
class User:
    key: str
    name: str
    role: str
    description: str
    token: str | None = None  # with OIDC, the provider's access token (server-side session only), for the services
    # What the referral form's "About you" starts from (the IdP's `email`, `organisation` and `job_role` claims)
    email: str = ""
    organisation: str = ""
    job_role: str = ""  # a ReferrerRole value, when the person has one

    def acts_as(self, role: str) -> bool:
        """The person holds `role`, or leads the team that holds it (a front-door manager acts as the front door)."""
        return role in (self.role, LEADS.get(self.role))

    @property
    def may_read_audit(self) -> bool:
        """A team lead: may open "who saw this child"."""
        return self.role in AUDIT_READERS

    @property
    def home(self) -> str:
        if self.role == "referrer":
            return "/referrals"
        if self.role.startswith("worker:"):
            return f"/work/{self.role.removeprefix('worker:')}"
        if self.acts_as("dsr_panel"):
            return "/dsr"
        if self.role == "dsr_referrer":
            return "/dsr/entries"
        if self.role == "manager":
            return "/reports"
        if self.role == "admin":
            return "/admin/import"
        if self.acts_as("front_door"):
            return "/front-door"
        return "/sign-in"


SERVICE_NAMES = {"safeguarding": "Safeguarding (MASH)", "semh": "Emotional wellbeing and mental health (SEMH)",
                 "counselling": "Counselling", "salt": "Speech and language therapy", "early_help": "Early help"}

ROLE_WORDS = {"referrer": "Referrer", "front_door": "Front door", "dsr_panel": "DSR meeting",
              "front_door_manager": "Front-door manager", "dsr_chair": "Chair of the DSR meeting",
              "dsr_referrer": "Adds people to the DSR", "manager": "Manager", "admin": "Administrator"}


def role_words(role: str) -> str:
    """A role in words, for a person whose provider gave no name: a worker's service, else the role's words."""
    if role.startswith("worker:"):
        return SERVICE_NAMES.get(role.removeprefix("worker:"), "Service worker")
    return ROLE_WORDS.get(role, role.replace("_", " ").capitalize())


# The seeded workers: a person of each service, their team as their description (issue 22, item 7: people, not ids)
WORKER_NAMES = {"safeguarding": "Morgan Bell", "semh": "Aisha Khan", "counselling": "Tom Reid", "salt": "Kim Evans",
                "early_help": "Lucy Grant"}

USERS = {
    u.key: u
    for u in [
        User("senco-seaview", "Sam Patel", "referrer", "SENCO, Seaview Primary Academy",
             email="sam.patel@seaview.example.org", organisation="Seaview Primary Academy", job_role="school_senco"),
        User("hv-east", "Jo Clarke", "referrer", "Health visitor, East locality",
             email="jo.clarke@nhs.example.org", organisation="East locality health visiting",
             job_role="health_visitor"),
        *(User(f"worker-{s.value}", WORKER_NAMES[s.value], f"worker:{s.value}", SERVICE_NAMES[s.value])
          for s in Service),
        User("worker-semh-2", "Ben Carter", "worker:semh", SERVICE_NAMES["semh"]),  # a colleague to give work to
        User("dsr-chair", "Alex Morgan", "dsr_chair", "Chair of the multi-agency DSR meeting"),
        User("dsr-member", "Ruth Adeyemi", "dsr_panel", "Member of the DSR meeting, learning disability team"),
        User("asc-practitioner", "Robin Hughes", "dsr_referrer", "Practitioner, adult social care"),
        User("commissioning", "Priya Shah", "manager", "Commissioning manager"),
        User("fd-admin", "Chris Lee", "admin", "Front door administrator"),
        User("front-door-hub", "Dana Wright", "front_door", "Practitioner, front door (children's hub)"),
        User("front-door-sol", "Sol Ahmed", "front_door", "Practitioner, front door (children's hub)"),
        User("front-door-manager", "Jordan Price", "front_door_manager", "Manager, front door (children's hub)"),
    ]
}
