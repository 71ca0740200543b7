"""The W3C vectors need two contexts ecert does not ship: examples/v2 and citizenship v4rc1."""

from __future__ import annotations

from pathlib import Path

import pytest

from vc_core.canon import LocalContexts, default_contexts


@pytest.fixture(scope="session")
def w3c_contexts(conformance_dir: Path) -> LocalContexts:
    ctx = conformance_dir / "contexts"
    return default_contexts().with_files(
        {
            "https://www.w3.org/ns/credentials/examples/v2": ctx / "credentials-examples-v2.jsonld",
            "https://w3id.org/citizenship/v4rc1": ctx / "citizenship-v4rc1.jsonld",
        }
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/conformance" in str(item.fspath):
            item.add_marker(pytest.mark.conformance)
