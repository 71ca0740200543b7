"""The offer URI as a QR code PNG (the ``qrcode`` library, with Pillow).

OpenID4VCI 1.0 §4.1.3 recommends passing the offer by reference in QR codes: the URI stays
short (about 150 characters), so error correction level M fits in a small code.

Example:
    >>> png_bytes("openid-credential-offer://?credential_offer_uri=x")[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
"""

from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M


def png_bytes(text: str) -> bytes:
    """A PNG of a QR code holding ``text``."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=4)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer, format="PNG")
    return buffer.getvalue()
