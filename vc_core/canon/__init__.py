"""The one place that makes signed bytes: JCS (RFC 8785) and RDFC-1.0 over local contexts only.

Issuing and verifying both call these functions, and the W3C vectors pin their output.
"""

from vc_core.canon.contexts import ECERT_CONTEXT_URL, LocalContexts, default_contexts
from vc_core.canon.jcs import jcs
from vc_core.canon.order import (
    UTF16_ORDER_RISK,
    beyond_bmp,
    utf16_order_differs,
    utf16_order_warning,
)
from vc_core.canon.rdfc import expand_strict, rdfc

__all__ = [
    "ECERT_CONTEXT_URL",
    "UTF16_ORDER_RISK",
    "LocalContexts",
    "beyond_bmp",
    "default_contexts",
    "expand_strict",
    "jcs",
    "rdfc",
    "utf16_order_differs",
    "utf16_order_warning",
]
