"""Whatever an operator sends, the issuer answers 201 or a 4xx problem: never a 500.

Two generators: any JSON value as the credential, and a valid draft with one member, anywhere in
it, replaced by any JSON value or removed. Hypothesis counts what it changed so each example is
a real change.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
TYPES = [
    "DriverLicenceCredential",
    "BusinessLicenceCredential",
    "ProfessionalLicenceCredential",
    "PropertyDeedCredential",
    "SocialCreditRecordCredential",
]
ALLOWED = {201, 400, 403, 409, 413, 422}
SLOW = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every member path inside ``value`` (object keys and list indexes)."""
    out: list[tuple[Any, ...]] = []
    items = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else []
    )
    for key, child in items:
        out.append((*prefix, key))
        out.extend(_paths(child, (*prefix, key)))
    return out


def _check(response: Any) -> None:
    assert response.status_code in ALLOWED, response.text
    if response.status_code != 201:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == response.status_code


@SLOW
@given(credential=JSON)
def test_any_json_as_the_credential(
    credential: Any, client: TestClient, make_operator: Callable[..., Any]
) -> None:
    headers = {"Authorization": "Bearer " + make_operator().token}
    _check(client.post("/credentials/issue", json={"credential": credential}, headers=headers))


@SLOW
@given(data=st.data())
def test_one_member_of_a_valid_draft_changed(
    data: st.DataObject,
    client: TestClient,
    make_operator: Callable[..., Any],
    draft: Callable[[str], dict[str, Any]],
) -> None:
    credential = draft(data.draw(st.sampled_from(TYPES)))
    original = copy.deepcopy(credential)
    path = data.draw(st.sampled_from(_paths(credential)))
    parent = credential
    for key in path[:-1]:
        parent = parent[key]
    if data.draw(st.booleans()):
        parent[path[-1]] = data.draw(JSON.filter(lambda v: v != parent[path[-1]]))
    elif isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent.pop(path[-1])
    assert credential != original
    headers = {"Authorization": "Bearer " + make_operator().token}
    _check(client.post("/credentials/issue", json={"credential": credential}, headers=headers))
