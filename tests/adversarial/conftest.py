"""Fixtures of the adversarial sweep: the three real services (one set per pytest process: a
worker of `make unit` that runs both service files starts them once) and the log check that
ends the session: no traceback, and no secret, token, tx_code or claim value the tests used,
in any line any of the processes wrote."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.adversarial.scene import Scene, scene


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    with scene(tmp_path_factory.mktemp("adversarial")) as made:
        yield made
    logs = made.logs()
    for name, text in logs.items():
        assert "Traceback" not in text, f"{name} logged a traceback:\n{text[-3000:]}"
        for secret in made.secrets():
            assert secret not in text, f"{name} logged a secret ({secret[:6]}…)"
