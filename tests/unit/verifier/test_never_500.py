"""Whatever a client sends, the verifier answers 200, a 4xx problem or 503: never a 500, and
never "valid" for anything but a credential the chain vouches for.

Three generators: any JSON value as the body; any JSON value as the credential (or bundle, or
batch item); a valid deed with one member, anywhere in it, replaced by any JSON value.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.vc_core.verification.conftest import World

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
ALLOWED = {200, 400, 413, 415, 422, 503}
ROUTES = ["/credentials/verify", "/verify/batch", "/presentations/verify", "/challenges"]
SLOW = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _check(answer: Any) -> None:
    assert answer.status_code in ALLOWED | {201}, (answer.status_code, answer.text[:500])
    if answer.status_code >= 400 and answer.status_code != 422:
        assert answer.headers["content-type"] == "application/problem+json"


@SLOW
@given(body=JSON, route=st.sampled_from(ROUTES))
def test_any_json_body_is_never_a_500(client: TestClient, body: Any, route: str) -> None:
    answer = client.post(
        route, content=json.dumps(body), headers={"content-type": "application/json"}
    )
    _check(answer)


@SLOW
@given(value=JSON, member=st.sampled_from(["verifiableCredential", "offlineBundle", "batch"]))
def test_any_json_credential_is_never_a_500_nor_valid(
    client: TestClient, value: Any, member: str
) -> None:
    if member == "batch":
        answer = client.post("/verify/batch", json={"verifiableCredentials": [value]})
        _check(answer)
        assert answer.status_code != 200 or answer.json()["results"][0]["status"] != 200
        return
    answer = client.post("/credentials/verify", json={member: value})
    _check(answer)
    assert answer.status_code != 200


@SLOW
@given(value=JSON, options=JSON)
def test_any_json_presentation_is_never_a_500_nor_valid(
    client: TestClient, value: Any, options: Any
) -> None:
    body = {"verifiablePresentation": value, "options": options}
    answer = client.post("/presentations/verify", json=body)
    _check(answer)
    assert answer.status_code != 200


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
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


@SLOW
@given(data=st.data())
def test_a_deed_with_any_member_changed_is_never_a_500_nor_valid(
    world: World, client: TestClient, data: st.DataObject
) -> None:
    if not hasattr(world, "_deed"):
        world._deed = world.issued()  # type: ignore[attr-defined]
    deed: dict[str, Any] = copy.deepcopy(world._deed)  # type: ignore[attr-defined]
    path = data.draw(st.sampled_from(_paths(deed)))
    new = data.draw(JSON)
    parent: Any = deed
    for key in path[:-1]:
        parent = parent[key]
    if parent[path[-1]] == new:
        return
    parent[path[-1]] = new
    answer = client.post("/credentials/verify", json={"verifiableCredential": deed})
    _check(answer)
    assert answer.status_code != 200, answer.text[:500]
