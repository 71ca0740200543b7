"""Read a credential offer URI from a QR code image, offline (zxing-cpp over Pillow).

The image is read through ``vc_core.jsonio.read_file``'s size bound, then opened by Pillow with a
pixel limit (a small file can still unpack to a huge bitmap). The first QR code found is the
offer; what it says is checked by :func:`wallet_cli.oid4vci.parse_offer_uri`, like a pasted URI.
"""

from __future__ import annotations

import io
from enum import StrEnum
from pathlib import Path

import zxingcpp
from PIL import Image, UnidentifiedImageError

from vc_core.errors import MalformedError
from vc_core.jsonio import read_file

MAX_IMAGE_BYTES = 16 * 1024 * 1024
MAX_PIXELS = 40_000_000


class QrCode(StrEnum):
    QR_IMAGE_UNREADABLE = "QR_IMAGE_UNREADABLE"
    QR_NOT_FOUND = "QR_NOT_FOUND"


def read_qr(path: Path) -> str:
    """The text of the first QR code in the image at ``path``.

    Raises:
        NotFoundError: ``FILE_NOT_FOUND``; MalformedError: not an image we can read
            (``QR_IMAGE_UNREADABLE``, ``TOO_LARGE``) or no QR code in it (``QR_NOT_FOUND``).
    """
    data = read_file(path, max_bytes=MAX_IMAGE_BYTES)
    if len(data) > MAX_IMAGE_BYTES:
        raise MalformedError(f"{path} is larger than {MAX_IMAGE_BYTES} bytes", code="TOO_LARGE")
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            found = zxingcpp.read_barcodes(image.convert("L"))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        raise MalformedError(
            f"{path} is not an image the wallet can read (PNG, JPEG, …)",
            code=QrCode.QR_IMAGE_UNREADABLE,
        ) from None
    texts = [r.text for r in found if r.format == zxingcpp.BarcodeFormat.QRCode and r.text]
    if not texts:
        raise MalformedError(f"no QR code found in {path}", code=QrCode.QR_NOT_FOUND)
    return texts[0]
