"""Keep the verifier's replica up to date in the background, never in a request's way.

:class:`ReplicaSync` runs :meth:`~vc_core.replica.Replica.sync` against the configured registry
nodes every ``interval`` seconds, in a worker thread, until told to stop. A failed sync — no
node reachable, a node serving a chain that does not extend ours, a block that does not verify
— is logged and kept in :attr:`ReplicaSync.last`, and the next round tries again: the replica
keeps answering from what it holds, and verification's freshness step (DESIGN §5 step 8) decides
whether that is recent enough.

Requests read the replica while a sync extends it. That is safe because the replica's folded
state is an immutable :class:`~vc_core.ledger.LedgerState` swapped in by one assignment per
block: a verification sees some verified prefix of the chain at each question, and a later
prefix only adds facts (an anchor found stays found, a status asked as of a time stays the same).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from vc_core.errors import VCError
from vc_core.replica import HttpSource, Replica

log = logging.getLogger("verifier.sync")


@dataclass(frozen=True)
class SyncOutcome:
    """How the last sync ended: when, and either the height reached or why it failed."""

    at: datetime
    ok: bool
    height: int | None = None
    source: str | None = None
    code: str | None = None
    message: str | None = None


class ReplicaSync:
    """Sync ``replica`` from ``urls`` (in order of preference) on demand or in a loop."""

    def __init__(
        self,
        replica: Replica,
        urls: Sequence[str],
        *,
        clock: Callable[[], datetime],
        timeout_s: float,
    ) -> None:
        self.replica = replica
        self.sources = [HttpSource(url, timeout_s=timeout_s) for url in urls]
        self.clock = clock
        self.last: SyncOutcome | None = None

    def sync_once(self) -> SyncOutcome:
        """One sync round; never raises (the outcome says what happened)."""
        now = self.clock()
        try:
            result = self.replica.sync(self.sources, now=now)
        except VCError as exc:
            log.warning("replica sync failed: %s", exc.diagnostics())
            self.last = SyncOutcome(at=now, ok=False, code=exc.code, message=exc.message)
        except Exception as exc:  # noqa: BLE001 (a background task must survive any fault)
            # The class only: the text of an unplanned error could be long or hostile.
            log.error("replica sync failed unexpectedly: %s", type(exc).__name__)
            failure = type(exc).__name__
            self.last = SyncOutcome(at=now, ok=False, code="SYNC_FAILED", message=failure)
        else:
            self.last = SyncOutcome(
                at=now, ok=True, height=result.head.height, source=result.source
            )
        return self.last

    async def run(self, interval_s: float, stop: asyncio.Event) -> None:
        """Sync now, then every ``interval_s`` seconds, until ``stop`` is set.

        A round in progress is always finished (a thread cannot be interrupted), so stopping
        waits for at most one registry timeout.
        """
        while not stop.is_set():
            await asyncio.to_thread(self.sync_once)
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval_s)

    def close(self) -> None:
        for source in self.sources:
            source.close()
