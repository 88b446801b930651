"""What a search for a child answers (issue 23, item 1): enough to tell children apart (name, date of birth, school,
postcode district) and what the query was read as; never an NHS number, a UPN, an address or anything else."""

from __future__ import annotations

import uuid
from typing import Literal

from pydantic import Field

from schemas.views import View

Kind = Literal["nhs_number", "upn", "date_of_birth", "postcode", "reference", "name"]
Matched = Literal["nhs_number", "upn", "date_of_birth", "date_of_birth_swapped", "postcode", "postcode_district",
                  "reference", "name"]


class FoundChild(View):
    """A child (or a person on the register) a search found, as their latest record shows them."""

    child_id: uuid.UUID
    entry_id: uuid.UUID | None = Field(None, description="A person on the register: their register entry")
    given_name: str | None
    family_name: str | None
    date_of_birth: str | None = Field(description="ISO 8601 date")
    school: str | None = Field(description="The education setting, where the record has one")
    postcode_district: str | None = Field(description="The outward code of the postcode (TS1), never the postcode")
    matched: Matched = Field(description="What the query matched: date_of_birth_swapped is the date with day and "
                                         "month swapped; postcode_district, the district of the postcode typed")


class Found(View):
    looked_for: list[Kind] = Field(description="What the query was read as (empty: nothing it could be)")
    results: list[FoundChild] = Field(description="Best first, at most 50")
    more: bool = Field(description="More were found than shown: the person should say more")
