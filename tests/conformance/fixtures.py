"""Registers the users schemathesis acts as, and prints their access tokens.

Usage: fixtures.py BASE_URL ROLE...   (ROLE: customer, provider, admin)

Prints one line per role, `ROLE TOKEN`. The admin must already exist (the
CI script makes it with `quickfix create-admin`); customers and providers
register through the API. Each role also gets a little data of its own so
that list and detail operations have something to answer with: the
customer posts a job, the provider offers on it.
"""

import json
import sys
import urllib.request
import uuid

PASSWORD = "conformance-password"


def call(base, method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"null")


def register(base, role):
    email = f"{role}-{uuid.uuid4().hex[:8]}@conformance.test"
    answer = call(base, "POST", "/api/v1/auth/register", {
        "email": email, "password": PASSWORD, "role": role, "name": f"CI {role}",
    })
    return answer["access_token"]


def login(base, email):
    answer = call(base, "POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
    return answer["access_token"]


def main():
    base = sys.argv[1].rstrip("/")
    roles = sys.argv[2:]
    tokens = {}
    for role in roles:
        if role == "admin":
            tokens[role] = login(base, "admin@conformance.test")
        else:
            tokens[role] = register(base, role)
    customer = tokens.get("customer")
    provider = tokens.get("provider")
    if customer:
        job = call(base, "POST", "/api/v1/jobs", {
            "title": "Fix the tap", "description": "It drips.", "category": "plumbing",
            "location": {"address": "Rua Augusta 100, Lisboa", "lat": 38.71, "lng": -9.14},
        }, customer)
        if provider:
            call(base, "POST", f"/api/v1/jobs/{job['id']}/offers",
                 {"price_cents": 5000, "message": "Tomorrow morning."}, provider)
    for role in roles:
        print(role, tokens[role])


if __name__ == "__main__":
    main()
