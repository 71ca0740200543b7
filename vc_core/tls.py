"""TLS for the services' own listeners: the certificate and key files, checked before serving.

Operators' bearer tokens, citizens' claims and tx_codes cross these connections, so a deployment
without a TLS-terminating proxy in front serves TLS itself (``--tls-cert`` / ``--tls-key`` on each
``serve`` command). The files are checked here, before the server starts, so that a wrong path,
a key that does not match the certificate, or a key file others can read is one line and exit 2
rather than a traceback from inside uvicorn. Clients trust a private CA through the standard
``SSL_CERT_FILE`` variable, which httpx reads.
"""

from __future__ import annotations

import ssl
import stat
from enum import StrEnum
from pathlib import Path

from vc_core.errors import MalformedError


class TlsCode(StrEnum):
    """The one code of a TLS configuration that cannot be served."""

    TLS_CONFIG = "TLS_CONFIG"


TLS_CERT_HELP = "Serve HTTPS with this PEM certificate chain (with --tls-key)."
TLS_KEY_HELP = "The certificate's PEM private key, mode 0600, not passphrase-protected."


def server_tls(cert_file: Path | None, key_file: Path | None) -> dict[str, str]:
    """The keyword arguments for ``uvicorn.run`` (empty without TLS), after checking the files.

    Both files or neither: half a TLS configuration is refused rather than served in clear.
    """
    if cert_file is None and key_file is None:
        return {}
    if cert_file is None or key_file is None:
        raise MalformedError("TLS needs both a certificate and a key file", code=TlsCode.TLS_CONFIG)
    for path in (cert_file, key_file):
        if not path.is_file():
            raise MalformedError(f"TLS file not found: {path}", code=TlsCode.TLS_CONFIG)
    # Like ssh with its keys: a private key that the group or others may read is refused.
    if key_file.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise MalformedError(
            f"TLS key {key_file} is readable by others: chmod 600 it", code=TlsCode.TLS_CONFIG
        )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        # An empty password: a passphrase-protected key fails here, not at a terminal prompt.
        context.load_cert_chain(certfile=str(cert_file), keyfile=str(key_file), password=b"")
    except (ssl.SSLError, ValueError, OSError) as exc:
        raise MalformedError(
            f"TLS certificate and key could not be loaded together: {exc.__class__.__name__}",
            code=TlsCode.TLS_CONFIG,
        ) from None
    return {"ssl_certfile": str(cert_file), "ssl_keyfile": str(key_file)}


def url_scheme(env: dict[str, str], cert_variable: str) -> str:
    """``https`` when ``env`` gives a server its TLS certificate (``cert_variable``), else ``http``:
    how a test or a launcher that starts a service by environment knows its URL."""
    return "https" if env.get(cert_variable) else "http"
