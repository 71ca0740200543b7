"""Signing many prepared drafts at once: in this thread, or in a pool of processes.

Batch issuance (:mod:`issuer.batch_runner`) hands a chunk of prepared drafts to a
:class:`ChunkSigner`; each comes back as a :class:`Signed` (the credential's stored JSON text and
its anchoring leaf) or a :class:`Refused` (the first problem, with its field as a JSON pointer).
Both paths run the same :func:`issuer.service.sign` as ``POST /credentials/issue``, so a row is
judged exactly as a single request would be.

Why processes: validating and signing one credential costs about a millisecond of pure Python
(schema, canonical form, Ed25519), and the GIL keeps threads on one core; with
``ISSUER_SIGNING_PROCESSES=N`` a :class:`PoolSigner` spreads the work over ``N`` processes.
The office key the chunk's time calls for (:meth:`~issuer.office.Office.signer_at`, so a key
rotation takes effect in the pool too) travels with each slice through the pool's pipe (memory
only, never a file), and the children are started with ``spawn`` so they share no locks with
this process's threads.
"""

from __future__ import annotations

import json
import multiprocessing
import re
from collections.abc import Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from issuer import service
from issuer.office import Office
from vc_core.anchoring import credential_digest
from vc_core.canon import LocalContexts, default_contexts
from vc_core.errors import VCError
from vc_core.keys import KeyPair

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def pointer_of(field: str | None) -> str:
    """RFC 6901 pointer for the dotted field path the validators report (``a.b[1]`` → ``/a/b/1``).

    >>> pointer_of("credentialSubject.vehicleClasses[0]")
    '/credentialSubject/vehicleClasses/0'
    """
    if not field:
        return ""
    if field.startswith("/"):
        return field
    parts = [name or index for name, index in _SEGMENT.findall(field)]
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass(frozen=True)
class Signed:
    document: str
    leaf: str


@dataclass(frozen=True)
class Refused:
    code: str
    field: str
    message: str

    @classmethod
    def of(cls, error: VCError) -> Refused:
        return cls(code=error.code, field=pointer_of(error.field), message=error.message)


Outcome = Signed | Refused


def sign_one(
    prepared: dict[str, Any],
    *,
    office_did: str,
    signer: KeyPair,
    suite: str,
    now: datetime,
    contexts: LocalContexts | None,
) -> Outcome:
    """Validate and sign one prepared draft; its stored text and leaf, or why not."""
    try:
        signed = service.sign(
            prepared, office_did=office_did, signer=signer, suite=suite, now=now, contexts=contexts
        )
    except VCError as exc:
        return Refused.of(exc)
    text = json.dumps(signed, ensure_ascii=False, separators=(",", ":"))
    return Signed(document=text, leaf=credential_digest(signed))


class ChunkSigner(Protocol):
    processes: int

    def sign_chunk(
        self, drafts: Sequence[dict[str, Any]], *, suite: str, now: datetime
    ) -> list[Outcome]: ...

    def close(self) -> None: ...


class InlineSigner:
    """Signs in the calling thread (``ISSUER_SIGNING_PROCESSES=0``)."""

    processes = 0

    def __init__(self, office: Office, contexts: LocalContexts) -> None:
        self._office = office
        self._contexts = contexts

    def sign_chunk(
        self, drafts: Sequence[dict[str, Any]], *, suite: str, now: datetime
    ) -> list[Outcome]:
        # One read of the key for the whole chunk, chosen for its time (a rotation may switch
        # the office's key at any moment; see Office.signer_at).
        signer, did = self._office.signer_at(now), self._office.did
        return [
            sign_one(
                d, office_did=did, signer=signer, suite=suite, now=now, contexts=self._contexts
            )
            for d in drafts
        ]

    def close(self) -> None:
        return None


# The child's state: the office's DID and contexts (set by the pool's initializer), and the keys
# it was sent, by seed.
_CHILD: dict[str, Any] = {"keys": {}}
_Job = tuple[list[dict[str, Any]], str, datetime, bytes]


def _child_init(did: str) -> None:
    _CHILD["did"] = did
    _CHILD["contexts"] = default_contexts()


def _child_sign(job: _Job) -> list[Outcome]:
    drafts, suite, now, seed = job
    keys: dict[bytes, KeyPair] = _CHILD["keys"]
    signer = keys.get(seed) or keys.setdefault(seed, KeyPair.from_seed(seed))
    did, contexts = _CHILD["did"], _CHILD["contexts"]
    return [
        sign_one(d, office_did=did, signer=signer, suite=suite, now=now, contexts=contexts)
        for d in drafts
    ]


class PoolSigner:
    """Signs in ``processes`` child processes, each taking a slice of the chunk."""

    def __init__(self, office: Office, processes: int) -> None:
        self.processes = processes
        self._office = office
        self._pool: Executor = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_child_init,
            initargs=(office.did,),
        )

    def sign_chunk(
        self, drafts: Sequence[dict[str, Any]], *, suite: str, now: datetime
    ) -> list[Outcome]:
        # A few slices per process, so a slow slice does not leave a core idle at the end.
        slices = max(1, self.processes * 2)
        step = max(1, -(-len(drafts) // slices))
        # The key chosen for the chunk's time goes with each slice (a rotation changes it).
        seed = self._office.signer_at(now).seed
        jobs: list[_Job] = [
            (list(drafts[i : i + step]), suite, now, seed) for i in range(0, len(drafts), step)
        ]
        out: list[Outcome] = []
        for part in self._pool.map(_child_sign, jobs):
            out.extend(part)
        return out

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def make_signer(office: Office, contexts: LocalContexts, processes: int) -> ChunkSigner:
    """A pool of ``processes`` children, or signing in the caller's thread for 0."""
    if processes <= 0:
        return InlineSigner(office, contexts)
    return PoolSigner(office, processes)
