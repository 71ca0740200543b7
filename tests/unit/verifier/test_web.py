"""The clerk's page at ``/``: served with a strict CSP, made of the package's own files only,
never putting text in the page as HTML, and with a bilingual line for every code it can meet.

The page's behaviour in a real browser is tests/browser/test_clerk_page.py.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from importlib import resources
from typing import Any

import pytest
from fastapi.testclient import TestClient

from vc_core.credential_types import CREDENTIAL_TYPES
from vc_core.identifiers.division import PROVINCE_PREFIXES
from vc_core.verification import Step, StepCode, StepStatus, Verdict
from verifier.routers.web import CONTENT_SECURITY_POLICY, FILES

WEB = resources.files("verifier").joinpath("web")
CJK = re.compile(r"[\u4e00-\u9fff]")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text = ""
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text += data


def _page_tags() -> _Tags:
    parser = _Tags()
    parser.feed(WEB.joinpath("index.html").read_text("utf-8"))
    return parser


def test_the_page_is_served_with_a_strict_policy(client: TestClient) -> None:
    answer = client.get("/")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    policy = answer.headers["content-security-policy"]
    assert policy == CONTENT_SECURITY_POLICY
    directives = dict(d.split(" ", 1) for d in policy.split("; "))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe" not in policy and "http" not in policy
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"


def test_the_page_has_no_inline_script_style_or_foreign_url() -> None:
    tags = _page_tags()
    assert tags.script_text.strip() == ""
    for tag, attrs in tags.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "style" not in attrs, (tag, attrs)
        for name in ("src", "href"):
            value = attrs.get(name)
            assert value is None or value.startswith("/ui/"), (tag, name, value)
    assert any(t == "script" and a.get("src") == "/ui/app.js" for t, a in tags.tags)


@pytest.mark.parametrize("name", sorted(set(FILES) - {"index.html"}))
def test_each_file_the_page_uses_is_served_under_the_policy(client: TestClient, name: str) -> None:
    answer = client.get(f"/ui/{name}")
    assert answer.status_code == 200
    assert answer.headers["content-type"].split(";")[0] == FILES[name].split(";")[0]
    assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


@pytest.mark.parametrize("name", ["index.html", "x.js", "..%2Fapp.py", "%2e%2e", "README.md"])
def test_nothing_else_is_served(client: TestClient, name: str) -> None:
    answer = client.get(f"/ui/{name}")
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"


def test_the_script_never_writes_html() -> None:
    script = WEB.joinpath("app.js").read_text("utf-8")
    for sink in (
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "Function(",
        'setTimeout("',
        "DOMParser",
        "createContextualFragment",
    ):
        assert sink not in script, sink
    # It talks to its own service only.
    for url in re.findall(r"fetch\(\s*\"([^\"]+)\"", script):
        assert url.startswith("/"), url


def _labels() -> dict[str, Any]:
    labels: dict[str, Any] = json.loads(WEB.joinpath("labels.json").read_text("utf-8"))
    return labels


def _bilingual(entry: Any) -> None:
    assert set(entry) == {"zh", "en"}, entry
    assert CJK.search(entry["zh"]) and entry["en"].strip() and not CJK.search(entry["en"])


def test_every_step_status_verdict_and_code_has_a_line_in_both_languages() -> None:
    labels = _labels()
    for step in Step:
        _bilingual(labels["steps"][str(int(step))])
        _bilingual(labels["ok_lines"][str(int(step))])
    for status in StepStatus:
        _bilingual(labels["statuses"][status.value])
    for verdict in Verdict:
        _bilingual(labels["verdicts"][verdict.value])
        _bilingual(labels["verdict_lines"][verdict.value])
    for code in StepCode:
        _bilingual(labels["codes"][code.value])
    # A wallet may decline an OpenID4VP request; the page says so, and what it is waiting for.
    _bilingual(labels["verdicts"]["declined"])
    _bilingual(labels["verdict_lines"]["declined"])
    for state in ("waiting", "expired", "answered", "refused", "disclosed"):
        _bilingual(labels["wallet"][state])
    for entry in labels["codes"].values():
        _bilingual(entry)


def test_every_type_and_province_is_named_in_words() -> None:
    labels = _labels()
    assert set(labels["types"]) == set(CREDENTIAL_TYPES)
    for entry in labels["types"].values():
        _bilingual(entry)
    for prefix in PROVINCE_PREFIXES:
        _bilingual(labels["regions"][prefix])
    for code in labels["regions"]:
        assert re.fullmatch(r"\d{2}|\d{4}|\d{6}", code), code


def test_templates_name_only_the_words_the_script_fills() -> None:
    labels = _labels()
    text = json.dumps(labels, ensure_ascii=False)
    assert set(re.findall(r"\{(\w+)\}", text)) <= {"type", "region", "code"}
