"""schemathesis hooks for .ci/conformance: what real clients do that the
fuzzer's draws do not, applied to every case in every phase.

- A real client sends a fresh `Idempotency-Key` with each new request and
  the same key only to retry it. Drawn keys repeat across different
  requests, which the server rightly answers with 422
  `idempotency_key_reused`; so a drawn key that is valid is replaced by a
  fresh one, and an invalid key (a negative test) is left alone. Key reuse
  itself is tested in tests/tests/api/database.rs and the crates' tests.
- Providers see coarse locations only, so their `radius_km` under 1 km is
  422 (the contract's privacy rule) while owners and admins may ask for
  less. One schema serves every role, so a provider's valid draws under
  1 km become 1 km (QUICKFIX_FUZZ_ROLE names the role of the run).
- A category is data (GET /api/v1/categories), not a fixed enum: a valid
  slug drawn for a body's `category` that names no seeded category becomes
  `plumbing` (the dictionary in schemathesis.toml covers the generated
  phases, this the coverage phase's boundary values).
- A job's `scheduled_for` must not be in the past and a suspension's
  `until` must be in the future (422), and a schema has no "now": a valid
  past time drawn for either (the dictionary in schemathesis.toml covers
  the generated phases, this the coverage phase's boundary values) moves
  a hundred years ahead.
"""

import os
import re
import uuid
from datetime import datetime, timezone

import schemathesis

VALID_KEY = re.compile(r"^[!-~]{1,255}$")
SLUG = re.compile(r"^[a-z0-9-]{1,50}$")
SEEDED_CATEGORIES = {
    "plumbing", "electrical", "cleaning", "carpentry", "painting",
    "moving", "appliance-repair", "gardening", "hvac", "other",
}
ROLE = os.environ.get("QUICKFIX_FUZZ_ROLE", "")


@schemathesis.hook
def map_case(context, case):
    # Only valid (positive) cases are adjusted: a negative case must reach
    # the server as drawn (a changed case is revalidated, and a negative one
    # that lacks a header on purpose would get it back). Each change
    # assigns a new container: the case tracks what a hook changed by
    # assignment.
    meta = case.meta
    if meta is not None and meta.generation.mode.is_negative:
        return case
    headers = case.headers
    if headers and VALID_KEY.match(str(headers.get("Idempotency-Key", ""))):
        case.headers = {**headers, "Idempotency-Key": str(uuid.uuid4())}
    if ROLE == "provider" and case.operation.path == "/api/v1/jobs" and case.query:
        try:
            radius = float(case.query.get("radius_km", "nan"))
        except (TypeError, ValueError):
            radius = float("nan")
        if 0 < radius < 1:
            case.query = {**case.query, "radius_km": 1}
    body = case.body
    for field in ("scheduled_for", "until"):
        if isinstance(body, dict) and isinstance(body.get(field), str):
            later = hundred_years_later(body[field])
            if later is not None:
                case.body = body = {**body, field: later}
    if isinstance(body, dict) and isinstance(body.get("category"), str):
        category = body["category"]
        if SLUG.match(category) and category not in SEEDED_CATEGORIES:
            case.body = {**body, "category": "plumbing"}
    return case


def hundred_years_later(text):
    """`text`, a valid RFC 3339 time in the past, a hundred years on; else None."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None or when >= datetime.now(timezone.utc) or when.year > 9899:
        return None
    return f"{when.year + 100:04d}" + text[4:]
