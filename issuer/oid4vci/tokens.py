"""The random values of the pre-authorized flow, and the only forms in which they are stored.

- The offer's **secret** is the last path segment of its ``credential_offer_uri``: whoever holds
  the URI may read the offer. Stored as SHA-256 only.
- The **pre-authorized code** is derived from the secret (HMAC-SHA256), so the offer can be
  served again without the code ever being stored; stored as SHA-256, for the token endpoint to
  find the offer by.
- The **tx_code** (six digits, sent to the citizen by another channel) is stored as
  HMAC-SHA256 keyed by the pre-authorized code. A six-digit code alone could be found from a
  plain hash by trying all million values; keyed by a 256-bit code that the database does not
  hold, it cannot. Online guessing is limited by the offer's try counter.
- **Access tokens** and **c_nonces** are 256-bit random values, stored as SHA-256.

All comparisons of secrets are constant-time.

Example:
    >>> secret = new_secret()
    >>> code = pre_authorized_code(secret)
    >>> tx_code_matches(code, "123456", tx_code_mac(code, "123456"))
    True
    >>> tx_code_matches(code, "123457", tx_code_mac(code, "123456"))
    False
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

TX_CODE_LENGTH = 6
_CODE_LABEL = b"ecert oid4vci pre-authorized_code"


def new_secret() -> str:
    """256 random bits, base64url (RFC 4648 §5, no padding)."""
    return secrets.token_urlsafe(32)


def new_id() -> str:
    """A public identifier (64 random bits, hex), for lists and logs."""
    return secrets.token_hex(8)


def new_tx_code() -> str:
    """A numeric transaction code of :data:`TX_CODE_LENGTH` digits."""
    return f"{secrets.randbelow(10**TX_CODE_LENGTH):0{TX_CODE_LENGTH}d}"


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def pre_authorized_code(secret: str) -> str:
    """The offer's pre-authorized code, derived from its secret."""
    mac = hmac.new(secret.encode("utf-8"), _CODE_LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")


def tx_code_mac(code: str, tx_code: str) -> str:
    return hmac.new(code.encode("utf-8"), tx_code.encode("utf-8"), hashlib.sha256).hexdigest()


def tx_code_matches(code: str, tx_code: str, stored_mac: str) -> bool:
    return hmac.compare_digest(tx_code_mac(code, tx_code), stored_mac)
