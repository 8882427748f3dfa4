"""The console's texts: English (the key; message codes have English texts here), Russian
(i18n_ru.py) and Kazakh (i18n_kk.py). tests/test_console_languages.py checks that every text
the templates and views use has both, and that no page rendered in either shows English."""

from __future__ import annotations

from server.admin.i18n_kk import KK
from server.admin.i18n_ru import RU

__all__ = ["TEXTS"]

_EN = {
    "bad_login": "Wrong e-mail or password.",
    "throttled": "Too many failed sign-ins. Wait a few minutes and try again.",
    "wrong_password": "The current password is wrong.",
    "password_length": "At least 12 characters.",
    "passwords_differ": "The two new passwords differ.",
    "password_unchanged": "Choose a new password, not the current one.",
    "password_common": ("This is one of the most common passwords, or is made of them, names "
                        "and sequences: choose another."),
    "password_reused": ("This is one of your last passwords (or the one-time password): "
                        "choose a new one."),
    "password_email": "The password must not be built on your e-mail address.",
    "password_pattern": "A run of one character, a repeated pattern or a sequence "
                        "(123456..., qwerty...) is not a password.",
    "busy": "Too many sign-ins at once. Try again in a few seconds.",
    "last_owner": "The console must keep at least one active owner.",
    "email_taken": "A user with this e-mail exists already.",
    "bad_email": "Not an e-mail address.",
    "bad_role": "Unknown role.",
    "not_email": "Not an e-mail address.",
    "not_uuid": "Not an id (a lower-case UUID).",
    "not_date": "Not a date (YYYY-MM-DD).",
    "not_time": "Not a time (YYYY-MM-DDTHH:MM, UTC).",
    "not_duration": "Not an ISO 8601 duration (e.g. P1Y, P6M, P30D).",
    "file_required": "Choose a file.",
    "guard_refused": "The guard refused: these changes need a major version.",
    "no_version_to_copy": "The app has no published version to copy; upload a policy file.",
    "already_resolved": "This request was resolved already.",
    "receipt signature": "receipt signature",
    "receipt names the record": "receipt names the record",
    "link to previous record": "link to previous record",
    "record content matches its hash": "record content matches its hash",
    "link from next record": "link from next record",
    "receipt": "receipt",
    "publish_busy": "Another publish of {app} is in progress ({why}); reload the page to see "
                    "it, then publish again.",
    "key_revoked":
        "This API key was revoked already.",
}

TEXTS: dict[str, dict[str, str]] = {"en": _EN, "ru": RU, "kk": KK}
