"""Where the wallet lives and how its passphrase arrives.

The home is ``--home``, else ``ECERT_WALLET_HOME``, else ``$XDG_DATA_HOME/ecert-wallet``
(``~/.local/share/ecert-wallet`` when that is unset). The passphrase comes from
``--passphrase-file`` (its first line), else ``ECERT_WALLET_PASSPHRASE``, else a hidden prompt
(asked twice when a new wallet or backup is sealed under it). A file wins over the variable,
because a file can be restricted to one user while a process's environment is visible to more
tools (the same rule as :func:`vc_core.keystore.read_passphrase`).
"""

from __future__ import annotations

import os
from pathlib import Path

import typer

from vc_core.errors import MalformedError
from vc_core.keystore import KdfLimits, read_passphrase

HOME_ENV = "ECERT_WALLET_HOME"
PASSPHRASE_ENV = "ECERT_WALLET_PASSPHRASE"  # noqa: S105 (a variable name, not a secret)
# Only the test suite sets this, so that each of its many wallets is not sealed at a cost of
# 256 MiB of memory; a real wallet never reads a weaker setting from the environment.
TEST_KDF_ENV = "ECERT_WALLET_TEST_KDF_MINIMUM"


def home_path(option: Path | None) -> Path:
    if option is not None:
        return option
    if os.environ.get(HOME_ENV):
        return Path(os.environ[HOME_ENV])
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "ecert-wallet"


def passphrase(file: Path | None, *, confirm: bool = False) -> str:
    """The passphrase from the file, the environment, or a hidden prompt.

    Raises:
        MalformedError: ``PASSPHRASE_MISSING`` (no input to prompt from, or an empty answer).
    """
    if file is not None or os.environ.get(PASSPHRASE_ENV):
        return read_passphrase(env_var=PASSPHRASE_ENV, file=file)
    try:
        value = typer.prompt("Wallet passphrase", hide_input=True, confirmation_prompt=confirm)
    except (typer.Abort, EOFError):
        raise MalformedError(
            f"no passphrase: type it at the prompt, set {PASSPHRASE_ENV}, "
            "or give --passphrase-file",
            code="PASSPHRASE_MISSING",
        ) from None
    if not isinstance(value, str) or not value:
        raise MalformedError("the passphrase must not be empty", code="PASSPHRASE_EMPTY")
    return value


def kdf_limits(strength: str) -> KdfLimits:
    """Argon2id cost for a new wallet: a libsodium preset (``moderate`` by default)."""
    if os.environ.get(TEST_KDF_ENV) == "1":
        return KdfLimits.minimum()
    return KdfLimits.preset(strength)
