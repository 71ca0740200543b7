"""QR codes of links and small documents (ISO/IEC 18004 through the ``qrcode`` library).

One code holds at most 2,953 bytes (version 40, error correction L, byte mode); a longer payload
raises :class:`QrTooLargeError`, so a caller can say so and offer a file instead. A link is
encoded with correction level M (what a phone camera reads well off a screen) whenever it fits.

Example:
    >>> png_bytes("openid4vp://?client_id=x&request_uri=https%3A%2F%2Fv.example%2Fr")[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    >>> try:
    ...     png_bytes("x" * 4000)
    ... except QrTooLargeError as exc:
    ...     print(exc.code)
    QR_TOO_LARGE
"""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.constants
import qrcode.image.pure
from qrcode.exceptions import DataOverflowError

from vc_core.errors import MalformedError

MAX_BYTES = 2953


class QrTooLargeError(MalformedError):
    """The payload does not fit in one QR code."""

    default_code = "QR_TOO_LARGE"


def _code(text: str) -> qrcode.QRCode:
    size = len(text.encode("utf-8"))
    if size > MAX_BYTES:
        raise QrTooLargeError(f"the payload is {size} bytes; one QR code holds at most {MAX_BYTES}")
    for level in (qrcode.constants.ERROR_CORRECT_M, qrcode.constants.ERROR_CORRECT_L):
        code = qrcode.QRCode(error_correction=level, border=4)
        code.add_data(text)
        try:
            code.make(fit=True)
        except DataOverflowError:
            continue
        return code
    raise QrTooLargeError(f"the payload ({size} bytes) does not fit in one QR code")


def png_bytes(text: str, *, box_size: int = 8) -> bytes:
    """A PNG of the QR code of ``text``."""
    code = _code(text)
    code.box_size = box_size
    image = code.make_image(image_factory=qrcode.image.pure.PyPNGImage)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def png_data_url(text: str) -> str:
    """The PNG as a ``data:image/png;base64,…`` URL, for an ``<img src>``."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(text)).decode("ascii")


def terminal_text(text: str) -> str:
    """The QR code drawn with half-block characters, for a terminal."""
    out = io.StringIO()
    _code(text).print_ascii(out=out, invert=True)
    return out.getvalue()
