"""Help requests: a counsellor asks a supervisor to look in (docs/protocol.md §2.2).

A request carries no content and no chat: only who asked and since when (whole
unix seconds). One open request per counsellor account at most, and only for
counsellors the switchboard knows (it drops the request with the counsellor),
so the table is bounded by the number of counsellors. A supervisor closes a
request by acknowledging it over HTTP (§6.4); the counsellor may withdraw it.
"""

from __future__ import annotations


class HelpRequests:
    __slots__ = ("_open",)

    def __init__(self) -> None:
        self._open: dict[int, int] = {}  # account id -> since (unix seconds)

    def open(self, account_id: int, now: float) -> int:
        """Open (or keep) the account's request; its ``since``."""
        return self._open.setdefault(account_id, int(now))

    def close(self, account_id: int) -> bool:
        """Close the account's request; False when none was open."""
        return self._open.pop(account_id, None) is not None

    def since(self, account_id: int) -> int | None:
        return self._open.get(account_id)

    def listing(self) -> list[tuple[int, int]]:
        """``(account_id, since)`` of every open request, oldest first."""
        return sorted(self._open.items(), key=lambda item: (item[1], item[0]))

    def __len__(self) -> int:
        return len(self._open)
