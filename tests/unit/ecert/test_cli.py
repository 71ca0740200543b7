"""The operator CLI as a person runs it: real processes, real files, exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from vc_core.dataintegrity import CRYPTOSUITES, add_proof
from vc_core.did import did_key, verification_method_id
from vc_core.keys import KeyPair

Run = Callable[..., subprocess.CompletedProcess[str]]
V2 = "https://www.w3.org/ns/credentials/v2"
# Inside every bundled example's validity period (the earliest ends 2024-06-01): issuance
# refuses a credential that is already expired, so the tests issue as of this time.
ISSUED_AT = "2024-05-01T00:00:00Z"
EXAMPLES = sorted(
    p.name
    for p in resources.files("schemas").joinpath("examples").iterdir()
    if p.name.endswith(".json")
)


def _example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        resources.files("schemas").joinpath("examples", name).read_text(encoding="utf-8")
    )
    return data


@pytest.fixture
def ecert(tmp_path: Path) -> Run:
    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "ecert", *args],
            check=False,
            input=stdin,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=120,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc

    return run


@pytest.fixture
def key_file(ecert: Run, tmp_path: Path) -> Path:
    proc = ecert("key", "new")
    assert proc.returncode == 0
    key = json.loads(proc.stdout)
    assert key["publicKeyMultibase"].startswith("z6Mk")
    assert key["secretKeyMultibase"].startswith("z3u2")
    path = tmp_path / "key.json"
    path.write_text(proc.stdout)
    return path


def _write(tmp_path: Path, name: str, value: Any) -> Path:
    path = tmp_path / name
    path.write_text(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
    return path


@pytest.mark.parametrize("suite", CRYPTOSUITES)
@pytest.mark.parametrize("example", EXAMPLES)
def test_each_example_signs_and_verifies(
    ecert: Run, key_file: Path, tmp_path: Path, example: str, suite: str
) -> None:
    src = _write(tmp_path, "in.json", _example(example))
    signed = ecert(
        "credential", "sign", "--key", str(key_file), "--suite", suite,
        "--created", ISSUED_AT, str(src),
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    doc = json.loads(signed.stdout)
    assert doc["issuer"].startswith("did:key:z6Mk")
    assert doc["proof"]["cryptosuite"] == suite
    checked = ecert("credential", "verify-proof", "-", stdin=signed.stdout)
    assert checked.returncode == 0, checked.stderr
    report = json.loads(checked.stdout)
    assert report["verified"] is True
    assert report["proofs"][0]["issuerControlsVerificationMethod"] is True


def test_created_is_honoured(ecert: Run, key_file: Path, tmp_path: Path) -> None:
    src = _write(tmp_path, "in.json", _example(EXAMPLES[0]))
    out = ecert(
        "credential", "sign", "--key", str(key_file), "--created", "2025-03-04T05:06:07Z", str(src)
    )
    assert json.loads(out.stdout)["proof"]["created"] == "2025-03-04T05:06:07Z"
    bad = ecert("credential", "sign", "--key", str(key_file), "--created", "tomorrow", str(src))
    assert bad.returncode == 2
    assert "--created" in bad.stderr


def test_w3c_vectors_through_the_cli(ecert: Run, conformance_dir: Path) -> None:
    ctx = conformance_dir / "contexts"
    extra = [
        "--context", "https://www.w3.org/ns/credentials/examples/v2="
        + str(ctx / "credentials-examples-v2.jsonld"),
        "--context", f"https://w3id.org/citizenship/v4rc1={ctx / 'citizenship-v4rc1.jsonld'}",
    ]  # fmt: skip
    # The vectors' issuer does not control the signing key: ecert refuses that by default, so
    # verifying them needs the explicit flag (and a fixed time after they were made).
    vectors = ["--now", "2025-05-15T00:00:00Z", "--allow-uncontrolled-key"]
    for name in (
        "eddsa-rdfc-2022/signedDataInt.json",
        "eddsa-rdfc-2022/employ/signedDataInt.json",
        "eddsa-jcs-2022/signedJCS.json",
        "eddsa-rdfc-2022/proof-set-chain/signedProofChain2.json",
    ):
        proc = ecert("credential", "verify-proof", *extra, *vectors, str(conformance_dir / name))
        assert proc.returncode == 0, (name, proc.stderr)
        report = json.loads(proc.stdout)
        assert report["verified"] is True
        assert all(p["issuerControlsVerificationMethod"] is False for p in report["proofs"])
    strict = ecert(
        "credential", "verify-proof", *extra, str(conformance_dir / "eddsa-jcs-2022/signedJCS.json")
    )
    assert strict.returncode == 1
    assert "VERIFICATION_METHOD_NOT_CONTROLLED" in strict.stderr
    # Without the examples context held locally it is refused, never fetched.
    refused = ecert(
        "credential",
        "verify-proof",
        *vectors,
        str(conformance_dir / "eddsa-jcs-2022/signedJCS.json"),
    )
    assert refused.returncode == 1
    assert "CONTEXT_NOT_LOCAL" in refused.stderr


@pytest.mark.parametrize(
    ("stdin", "code", "needle"),
    [
        ("not json", 2, "NOT_JSON"),
        ("[1]", 2, "NOT_AN_OBJECT"),
        ('{"a":' * 50 + "1" + "}" * 50, 2, "TOO_DEEP"),
        ('{"a": 1, "a": 2}', 2, "DUPLICATE_KEY"),
        ("x" * 1_100_000, 2, "TOO_LARGE"),
        (
            json.dumps({"@context": [V2], "type": ["VerifiableCredential"], "issuer": "did:x:y"}),
            1,
            "PROOF_MISSING",
        ),
    ],
)
def test_verify_proof_bad_input(ecert: Run, stdin: str, code: int, needle: str) -> None:
    proc = ecert("credential", "verify-proof", "-", stdin=stdin)
    assert proc.returncode == code
    assert needle in proc.stderr


def _signed(
    ecert: Run, key_file: Path, tmp_path: Path, suite: str = "eddsa-rdfc-2022"
) -> dict[str, Any]:
    src = _write(tmp_path, "in.json", _example(EXAMPLES[0]))
    options = ("--suite", suite, "--created", ISSUED_AT, str(src))
    out: dict[str, Any] = json.loads(
        ecert("credential", "sign", "--key", str(key_file), *options).stdout
    )
    return out


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("cryptosuite", "eddsa-2099", "unknown cryptosuite"),
        ("proofValue", "not-multibase", "MALFORMED_PROOF_ERROR"),
        ("proofValue", "z3", "64"),
        ("verificationMethod", "did:key:z6MkTooShort#z6MkTooShort", "VERIFICATION_METHOD_NOT"),
    ],
)
def test_verify_proof_failures_name_the_step(
    ecert: Run, key_file: Path, tmp_path: Path, field: str, value: str, needle: str
) -> None:
    doc = _signed(ecert, key_file, tmp_path)
    doc["proof"][field] = value
    proc = ecert("credential", "verify-proof", "-", stdin=json.dumps(doc))
    assert proc.returncode == 1
    assert needle in proc.stderr
    assert json.loads(proc.stdout)["verified"] is False


def test_remote_context_is_refused(ecert: Run, key_file: Path, tmp_path: Path) -> None:
    doc = _signed(ecert, key_file, tmp_path)
    doc["@context"].append("https://evil.example/context.jsonld")
    proc = ecert("credential", "verify-proof", "-", stdin=json.dumps(doc))
    assert proc.returncode == 1
    assert "CONTEXT_NOT_LOCAL" in proc.stderr


def test_sign_refuses_undefined_terms(ecert: Run, key_file: Path, tmp_path: Path) -> None:
    doc = _example(EXAMPLES[0])
    doc["credentialSubject"]["favouriteColour"] = "blue"
    src = str(_write(tmp_path, "in.json", doc))
    proc = ecert("credential", "sign", "--key", str(key_file), "--created", ISSUED_AT, src)
    assert proc.returncode == 1
    assert "favouriteColour" in proc.stderr


def test_sign_refuses_a_credential_already_expired(
    ecert: Run, key_file: Path, tmp_path: Path
) -> None:
    src = str(_write(tmp_path, "in.json", _example("social-credit-record.json")))
    proc = ecert("credential", "sign", "--key", str(key_file), src)  # valid until 2024-06-01
    assert proc.returncode == 1 and proc.stdout == ""
    assert "VALIDITY_PERIOD_OVER" in proc.stderr
    late = ecert(
        "credential", "sign", "--key", str(key_file), "--created", "2024-06-01T00:00:00Z", src
    )
    assert late.returncode == 1 and "VALIDITY_PERIOD_OVER" in late.stderr


def test_sign_refuses_an_issuer_the_key_does_not_belong_to(
    ecert: Run, key_file: Path, tmp_path: Path
) -> None:
    doc = _example(EXAMPLES[0]) | {"issuer": "did:ecert:demo:market-regulation"}
    src = str(_write(tmp_path, "in.json", doc))
    proc = ecert("credential", "sign", "--key", str(key_file), "--created", ISSUED_AT, src)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "ISSUER_KEY_MISMATCH" in proc.stderr


@pytest.mark.parametrize(
    "key_text",
    ['{"secretKeyMultibase": "z3u2"}', "{}", "nope", '{"secretKeyMultibase": "zz"}'],
)
def test_sign_with_bad_key_file(ecert: Run, tmp_path: Path, key_text: str) -> None:
    key = _write(tmp_path, "bad-key.json", key_text)
    src = _write(tmp_path, "in.json", _example(EXAMPLES[0]))
    proc = ecert("credential", "sign", "--key", str(key), str(src))
    assert proc.returncode == 2
    assert "error:" in proc.stderr


def test_missing_input_file(ecert: Run, key_file: Path) -> None:
    proc = ecert("credential", "sign", "--key", str(key_file), "nope.json")
    assert proc.returncode == 2
    assert "FILE_NOT_FOUND" in proc.stderr


def _set(doc: dict[str, Any], dotted: str, value: Any) -> None:
    *head, last = dotted.split(".")
    node: Any = doc
    for part in head:
        node = node[part]
    if value is None:
        del node[last]
    else:
        node[last] = value


@pytest.mark.parametrize(
    ("example", "dotted", "value", "needle"),
    [
        # Wrong check character: the last character of a valid USCC changed.
        (
            "business-licence.json",
            "credentialSubject.unifiedSocialCreditCode",
            "91350100M000100Y44",
            "credentialSubject.unifiedSocialCreditCode",
        ),
        # Impossible birth date (30 February), check digit recomputed so only the date is wrong.
        (
            "driver-licence.json",
            "credentialSubject.licenceNumber",
            "RESIDENT_ID_30_FEB",
            "credentialSubject.licenceNumber",
        ),
        # A required field missing.
        ("driver-licence.json", "credentialSubject.name", None, "credentialSubject.name"),
    ],
    ids=["wrong-check-digit", "impossible-birth-date", "missing-required-field"],
)
def test_sign_rejects_bad_identifiers_and_missing_fields(
    ecert: Run, key_file: Path, tmp_path: Path, example: str, dotted: str, value: Any, needle: str
) -> None:
    from vc_core.identifiers.resident_id import resident_id_check_character

    if value == "RESIDENT_ID_30_FEB":
        body = "51010519920230028"
        value = body + resident_id_check_character(body)
    doc = _example(example)
    _set(doc, dotted, value)
    proc = ecert(
        "credential", "sign", "--key", str(key_file), str(_write(tmp_path, "in.json", doc))
    )
    assert proc.returncode == 1
    assert needle in proc.stderr
    assert proc.stdout == ""


# Item 9 of the core issue: each fail-closed rule of verify-proof, through the real CLI. Each
# document is signed correctly except for the one rule it breaks, so the code names that rule;
# the flag that relaxes it (or a --now that makes it hold) turns the same document valid.
SIGNER = KeyPair.from_seed(bytes(range(32)))
STRANGER = KeyPair.from_seed(bytes(range(1, 33)))
NOW = datetime.now(UTC).replace(microsecond=0)


def _credential(key: KeyPair = SIGNER, **proof: Any) -> dict[str, Any]:
    doc = _example(EXAMPLES[0])
    doc["issuer"] = did_key(SIGNER.public)
    return add_proof(
        doc,
        key,
        cryptosuite="eddsa-jcs-2022",
        verification_method=proof.pop("vm", verification_method_id(key.public)),
        **proof,
    )


def _presentation(purpose: str) -> dict[str, Any]:
    vp = {"@context": [V2], "type": ["VerifiablePresentation"], "holder": did_key(SIGNER.public)}
    return add_proof(
        vp,
        SIGNER,
        cryptosuite="eddsa-jcs-2022",
        verification_method=verification_method_id(SIGNER.public),
        proof_purpose=purpose,
    )


def _stamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


FAIL_CLOSED = [
    # (id, document, exit code, code, arguments that make the same document verify)
    (
        "purpose",
        lambda: _credential(proof_purpose="authentication"),
        1,
        "MISMATCHED_PROOF_PURPOSE_ERROR",
        ["--any-purpose"],
    ),
    (
        "purpose-named",
        lambda: _credential(proof_purpose="authentication"),
        1,
        "MISMATCHED_PROOF_PURPOSE_ERROR",
        ["--purpose", "authentication"],
    ),
    (
        "presentation-purpose",
        lambda: _presentation("assertionMethod"),
        1,
        "MISMATCHED_PROOF_PURPOSE_ERROR",
        ["--purpose", "assertionMethod"],
    ),
    (
        "uncontrolled-key",
        lambda: _credential(STRANGER),
        1,
        "VERIFICATION_METHOD_NOT_CONTROLLED",
        ["--allow-uncontrolled-key"],
    ),
    (
        "created-in-future",
        lambda: _credential(created=NOW + timedelta(hours=1)),
        1,
        "PROOF_CREATED_IN_FUTURE",
        ["--allow-future-created"],
    ),
    (
        "created-in-future-now",
        lambda: _credential(created=NOW + timedelta(hours=1)),
        1,
        "PROOF_CREATED_IN_FUTURE",
        ["--now", _stamp(NOW + timedelta(hours=1))],
    ),
    (
        "expired",
        lambda: _credential(expires=NOW - timedelta(hours=1)),
        1,
        "PROOF_EXPIRED",
        ["--allow-expired"],
    ),
    (
        "expired-now",
        lambda: _credential(expires=NOW - timedelta(hours=1)),
        1,
        "PROOF_EXPIRED",
        ["--now", _stamp(NOW - timedelta(hours=2))],
    ),
    (
        "context-not-v2",
        lambda: {**_credential(), "@context": ["https://www.w3.org/2018/credentials/v1"]},
        1,
        "VCDM_CONTEXT_INVALID",
        None,
    ),
    (
        "not-a-credential",
        lambda: {**_credential(), "type": ["DriverLicenceCredential"]},
        1,
        "VCDM_TYPE_INVALID",
        None,
    ),
    (
        "did-ecert-offline",
        lambda: {
            **_credential(vm="did:ecert:unit:traffic-police#key-1"),
            "issuer": "did:ecert:unit:traffic-police",
        },
        3,
        "DID_NOT_RESOLVABLE_OFFLINE",
        None,
    ),
]


@pytest.mark.parametrize(
    ("make", "exit_code", "code", "relax"),
    [case[1:] for case in FAIL_CLOSED],
    ids=[case[0] for case in FAIL_CLOSED],
)
def test_verify_proof_fails_closed_with_a_stable_code(
    ecert: Run,
    make: Callable[[], dict[str, Any]],
    exit_code: int,
    code: str,
    relax: list[str] | None,
) -> None:
    text = json.dumps(make(), ensure_ascii=False)
    proc = ecert("credential", "verify-proof", "-", stdin=text)
    assert proc.returncode == exit_code, proc.stderr
    assert code in proc.stderr
    report = json.loads(proc.stdout)
    assert report["verified"] is False
    assert report["verdict"] == ("could not check" if exit_code == 3 else "invalid")
    if relax is not None:
        relaxed = ecert("credential", "verify-proof", *relax, "-", stdin=text)
        assert relaxed.returncode == 0, relaxed.stderr
        assert json.loads(relaxed.stdout)["verdict"] == "valid"


def test_presentation_by_its_holder_verifies(ecert: Run) -> None:
    proc = ecert(
        "credential", "verify-proof", "-", stdin=json.dumps(_presentation("authentication"))
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--now", "tomorrow"], "--now"),
        (["--purpose", "authentication", "--any-purpose"], "BAD_OPTION"),
    ],
)
def test_verify_proof_bad_options(ecert: Run, args: list[str], needle: str) -> None:
    proc = ecert("credential", "verify-proof", *args, "-", stdin=json.dumps(_credential()))
    assert proc.returncode == 2
    assert needle in proc.stderr


@pytest.mark.parametrize("suite", CRYPTOSUITES)
def test_sign_warns_when_rdfc_meets_text_beyond_the_bmp(
    ecert: Run, key_file: Path, tmp_path: Path, suite: str
) -> None:
    doc = _example(EXAMPLES[0])
    doc["credentialSubject"]["name"] = "\U00020bb7野花子"  # 𠮷: CJK Extension B
    src = str(_write(tmp_path, "in.json", doc))
    proc = ecert(
        "credential", "sign", "--key", str(key_file), "--suite", suite,
        "--created", ISSUED_AT, src,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    warned = "RDFC_UTF16_ORDER_RISK" in proc.stderr
    assert warned == (suite == "eddsa-rdfc-2022")
    # The warning goes to stderr; stdout is the signed credential alone.
    assert json.loads(proc.stdout)["credentialSubject"]["name"] == "\U00020bb7野花子"
