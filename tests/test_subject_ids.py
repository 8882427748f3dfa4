"""The operator's user ids and link tokens (server/consent/subjects.py), in process: what
a user id may hold, and expired unused tokens removed as new ones are made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server import Kelisim
from server.consent.subjects import check_user_id, issue_link_token
from server.errors import InvalidValue
from server.models import LinkToken

APP = "jana-courier"


@pytest.mark.parametrize("bad", ["", "   ", "a\nb", "a\tb", "a\u2028b", "a\u2029b", "a\x00b",
                                 "a\u202eb", "x" * 257, "caf\ufffd"])
def test_a_user_id_is_one_line_of_visible_utf8_text(bad: str) -> None:
    with pytest.raises(InvalidValue) as exc:
        check_user_id(bad)
    assert exc.value.details["field"] == "user_id"


@pytest.mark.parametrize("good", ["courier-42@jana.example", "Ақжол Сәрсенов", "x" * 256,
                                  "oʻzbek 7"])
def test_user_ids_as_operators_have_them(good: str) -> None:
    assert check_user_id(good) == good


def test_expired_unused_tokens_go_as_new_ones_are_made(kelisim: Kelisim, published: Path
                                                       ) -> None:
    t0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)

    def issue(at: datetime) -> None:
        with kelisim.db.session() as s:
            issue_link_token(s, APP, "courier-42", kelisim.keys_dir, 600, "api:k", at)

    def count() -> int:
        with kelisim.db.session(readonly=True) as s:
            return int(s.scalar(select(func.count()).select_from(LinkToken)) or 0)

    issue(t0)
    issue(t0 + timedelta(minutes=5))
    assert count() == 2
    issue(t0 + timedelta(minutes=11))  # the first expired at 09:10: removed
    assert count() == 2
    with kelisim.db.session() as s:  # a used token stays: it is the link's evidence
        s.scalars(select(LinkToken)).first().used_at = "2026-12-07T09:12:00Z"  # type: ignore[union-attr]
    issue(t0 + timedelta(hours=1))
    assert count() == 2
