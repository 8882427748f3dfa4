"""The console's texts: English (the key; message codes have English texts here), Russian
(i18n_ru.py, i18n_ru_more.py) and Kazakh (i18n_kk.py, i18n_kk_more.py); a page's own
module has all three (i18n_webhooks.py, i18n_log.py).
tests/test_console_languages.py checks that every text
the templates and views use has both, and that no page rendered in either shows English."""

from __future__ import annotations

from server.admin.i18n_kk import KK
from server.admin.i18n_kk_more import KK_MORE
from server.admin.i18n_log import LOG_EN, LOG_KK, LOG_RU
from server.admin.i18n_problems import PROBLEMS_EN
from server.admin.i18n_problems_kk import PROBLEMS_KK
from server.admin.i18n_problems_ru import PROBLEMS_RU
from server.admin.i18n_ru import RU
from server.admin.i18n_ru_more import RU_MORE
from server.admin.i18n_webhooks import WEBHOOKS_EN, WEBHOOKS_KK, WEBHOOKS_RU

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
    # issue 18 (words18a)
    "not_time_zone": "Not one of the listed time zones.",
    "unknown_version": "No version of this app has this label: choose one from the list.",
    # The draft's structure form (server/admin/structure.py, _structure.html).
    "structure_in_use": "{what} cannot be removed: {users} uses it. Untick it there first.",
    "structure_unknown_ref": "{where}: there is no {id} in {section}; add it there or untick "
                             "it.",
    "structure_consent_mode": "Google Consent Mode signal {signal} names the purpose {id}, "
                              "which is not in the list; keep that purpose or change the "
                              "signal in version.toml.",
    "structure_required": "required.",
    "structure_not_id": "use lowercase letters, digits, '-', '_' or '.' (at most 64), "
                        "e.g. delivery.",
    "structure_not_country": "a two-letter country code such as KZ or US.",
    "structure_not_url": "not a web address (https://...).",
    "structure_duplicate": "the id {id} is used twice; each needs its own.",
    "structure_one_purpose": "a version needs at least one purpose.",
    "structure_bad_locale": "unknown language; use kk, ru, en, uz or ky.",
    "structure_length": "too long or empty.",
    # issue 18: creating an app, a draft's base, confirming publish and discard
    "app_exists": "An app with this id exists already; choose another id.",
    "base_not_offered": "That version cannot be copied into a new draft; reload the app's "
                        "page and choose again.",
    "confirm_publish": "Tick the box that says what will happen: publishing cannot be "
                       "undone.",
    "confirm_discard": "Tick the box that says what will happen: discarding cannot be "
                       "undone.",
    "Store labels":
        "Store labels",
    "store labels":
        "store labels",
    ("What the App Store and Google Play pages say about this version, made from its signed "
     "policy. Data types are named in English, as the stores' forms name them."):
        ("What the App Store and Google Play pages say about this version, made from its signed "
         "policy. Data types are named in English, as the stores' forms name them."),
    "Not mapped yet":
        "Not mapped yet",
    "Files":
        "Files",
    "The files are made once every data category and purpose is mapped.":
        "The files are made once every data category and purpose is mapped.",
    (
        "Check them in your app's CI with: kelisim labels {app} "
        "--python-runtime --check DIR (these files carry CPython's "
        "required-reason entries; without them, drop --python-runtime)"
    ):
        (
            "Check them in your app's CI with: kelisim labels {app} "
            "--python-runtime --check DIR (these files carry CPython's "
            "required-reason entries; without them, drop --python-runtime)"
        ),
    "This draft changes your Play Data safety answers:":
        "This draft changes your Play Data safety answers:",
    "This draft changes your App Store privacy details:":
        "This draft changes your App Store privacy details:",
    ("After publishing, download the new files from the version's store labels page and upload "
     "them to the stores."):
        ("After publishing, download the new files from the version's store labels page and "
         "upload them to the stores."),
    "Refused: marked {s}, but these store label changes require minor or major:":
        "Refused: marked {s}, but these store label changes require minor or major:",
    "key_revoked":
        "This API key was revoked already.",
    "imp_note_pdf": "The PDF's text was extracted and converted to Markdown: read each "
                    "language's text under “{documents}”.",
    "imp_note_docx": "The Word file was converted to Markdown: read each language's text "
                     "under “{documents}”.",
    "imp_note_text": "The plain text was converted to Markdown: read each language's text "
                     "under “{documents}”.",
    "imp_note_blank_pages": "Pages {pages} have no text (scanned?) and were skipped: check "
                            "that nothing is missing.",
    "imp_note_split": "The file was split into {n} languages ({tags}): each is a document "
                      "under “{documents}”.",
    "imp_note_label_stated": "“{label}” is the version the text states: {stated}.",
    "imp_note_label_date": "“{label}” is proposed from the date the text states: {date} (the "
                           "text names no version); keep it or write a version number.",
    "imp_note_date": "The text states the date {date}: proposed as the effective date, not "
                     "applied. The version takes effect when published; to schedule it "
                     "later, set “{effective}”.",
    "imp_note_summary": "This updates version {previous}: under “{documents}”, open each "
                        "language and write “{summary}”.",
    "imp_note_store": "Store labels: the text names these kinds of data: {ids}. Nothing was "
                      "filled in for them: in “{structure}”, give each data category they "
                      "are its store types in its “{box}” box. Proposed: {proposals}.",
    "imp_note_locale": "“{language}” {locale}: the text looks like {what}, not {locale}; "
                       "check the file.",
}

TEXTS: dict[str, dict[str, str]] = {
    "en": _EN | PROBLEMS_EN | WEBHOOKS_EN | LOG_EN,
    "ru": RU | RU_MORE | PROBLEMS_RU | WEBHOOKS_RU | LOG_RU,
    "kk": KK | KK_MORE | PROBLEMS_KK | WEBHOOKS_KK | LOG_KK}
