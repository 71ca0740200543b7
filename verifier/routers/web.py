"""The clerk's page: ``GET /`` and its few static files under ``/ui/``.

Plain HTML, CSS and JavaScript shipped in the package (``verifier/web/``): no framework, no
build step, nothing from another origin. The script talks only to this service's own API with
``fetch``. Every answer carries a strict Content-Security-Policy (no inline script or style, no
other origin, no framing, no form posts), ``nosniff`` and ``no-referrer``, so that even a
mistake in the page could not run script a credential smuggled in.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from fastapi import APIRouter
from fastapi.responses import Response

from vc_core.errors import NotFoundError

router = APIRouter(tags=["web"], include_in_schema=False)

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}
# The only files served: name → media type. Nothing else under /ui/ exists.
FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "labels.json": "application/json",
}


@lru_cache(maxsize=len(FILES))
def _read(name: str) -> bytes:
    return resources.files("verifier").joinpath("web", name).read_bytes()


def _file(name: str) -> Response:
    return Response(_read(name), media_type=FILES[name], headers=SECURITY_HEADERS)


@router.get("/")
def page() -> Response:
    """The clerk's page."""
    return _file("index.html")


@router.get("/ui/{name}")
def asset(name: str) -> Response:
    """One of the page's files (:data:`FILES`); any other name is 404."""
    if name not in FILES or name == "index.html":
        raise NotFoundError(f"no such file: /ui/{name[:64]}")
    return _file(name)
