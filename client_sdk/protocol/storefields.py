"""The store label fields of a manifest version (spec 2, docs/manifest-spec.md): a data
category's, a purpose's and the version's ``store``. Ids are checked by shape only
(:mod:`client_sdk.protocol.grammar`): which ids Apple and Google list is the server's table,
so a type a store adds later never makes an SDK refuse a manifest. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from client_sdk.protocol.grammar import APPLE_DATA_TYPE_RE, APPLE_PURPOSE_RE, PLAY_ID_RE, is_domain
from client_sdk.protocol.reader import Reader
from client_sdk.protocol.record import Record, record

__all__ = ["CategoryStore", "PurposeStore", "VersionStore", "category_store", "purpose_store",
           "version_store"]


@record
class PurposeStore(Record):
    """What a purpose is called in the stores' labels: Apple's and Google Play's purposes."""

    apple: tuple[str, ...]
    play: tuple[str, ...]



@record
class CategoryStore(Record):
    """What a data category is in the stores' labels: Apple's and Google Play's data types,
    and whether it is linked to the user, used for tracking, processed ephemerally."""

    apple: tuple[str, ...]
    play: tuple[str, ...]
    linked: bool
    tracking: bool
    ephemeral: bool



@record
class VersionStore(Record):
    """What a version says to the stores beyond its data categories and purposes."""

    encrypted_in_transit: bool
    account_deletion_url: str | None
    data_deletion_url: str | None
    tracking_domains: tuple[str, ...]


def _pattern_check(pattern: re.Pattern[str]) -> Callable[[object], bool]:
    return lambda v: isinstance(v, str) and pattern.fullmatch(v) is not None


_APPLE_TYPE = _pattern_check(APPLE_DATA_TYPE_RE)
_APPLE_PURPOSE = _pattern_check(APPLE_PURPOSE_RE)
_PLAY_ID = _pattern_check(PLAY_ID_RE)


def category_store(cr: Reader) -> CategoryStore | None:
    if "store" not in cr.data:
        return None
    sr = Reader(cr.mapping("store"), cr.name("store"))
    sr.only("apple", "play", "linked", "tracking", "ephemeral")
    return CategoryStore(
        apple=sr.strings("apple", check=_APPLE_TYPE, what="an Apple data type "
                         "(NSPrivacyCollectedDataType...)"),
        play=sr.strings("play", check=_PLAY_ID, what="a Google Play data type (PSL_...)"),
        linked=sr.boolean("linked"), tracking=sr.boolean("tracking"),
        ephemeral=sr.boolean("ephemeral"))


def purpose_store(pr: Reader) -> PurposeStore | None:
    if "store" not in pr.data:
        return None
    sr = Reader(pr.mapping("store"), pr.name("store"))
    sr.only("apple", "play")
    return PurposeStore(
        apple=sr.strings("apple", check=_APPLE_PURPOSE, what="an Apple purpose "
                         "(NSPrivacyCollectedDataTypePurpose...)"),
        play=sr.strings("play", check=_PLAY_ID, what="a Google Play purpose (PSL_...)"))


def version_store(r: Reader) -> VersionStore | None:
    if "store" not in r.data:
        return None
    sr = Reader(r.mapping("store"), r.name("store"))
    sr.only("encrypted_in_transit", "account_deletion_url", "data_deletion_url",
            "tracking_domains")
    return VersionStore(
        encrypted_in_transit=sr.boolean("encrypted_in_transit"),
        account_deletion_url=sr.optional_string("account_deletion_url"),
        data_deletion_url=sr.optional_string("data_deletion_url"),
        tracking_domains=sr.strings("tracking_domains", check=is_domain,
                                    what="a host name (tracker.example.com)"))
