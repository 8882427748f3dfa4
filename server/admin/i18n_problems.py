"""The console's words for guard reasons and validation problems (issue 18): English texts of
the codes :mod:`server.admin.messages` renders, ``f_`` field names, ``k_`` kinds of catalogue
entry, ``u_`` size units, ``v_`` schema errors, ``g_`` guard reasons and the domains' problem
codes (:class:`server.messages.Message`). Russian and Kazakh: i18n_problems_ru.py,
i18n_problems_kk.py; i18n_texts.py merges them into the catalogue."""

from __future__ import annotations

__all__ = ["PROBLEMS_EN"]

PROBLEMS_EN: dict[str, str] = {
    "f_consent_mode": "Consent Mode",
    "f_summary": "What changed",
    "f_title": "Title",
    "f_description": "Description",
    "f_required": "Required",
    "f_id": "id",
    "f_app": "App details",
    "f_policy_url": "Policy address",
    "f_rationale": "Rationale",
    "f_text": "Policy text",
    "f_file": "File",
    "f_override_reason": "Override reason",
    "k_purpose": "purpose",
    "k_vendor": "vendor",
    "k_data_category": "data category",
    "k_permission": "permission",
    "u_bytes": "{n} bytes",
    "u_KiB": "{n} KiB",
    "u_MiB": "{n} MiB",
    "u_GiB": "{n} GiB",
    "v_required": "required",
    "v_length_between": "must be {min} to {max} characters",
    "v_empty": "must not be empty",
    "v_length_min": "must be at least {min} characters",
    "v_length_max": "must be at most {max} characters",
    "v_one_of": "must be one of: {choices}",
    "v_range": "must be from {min} to {max}",
    "v_integer": "must be a whole number",
    "v_boolean": "must be true or false",
    "v_string": "must be text",
    "v_list": "must be a list",
    "v_mapping": "must be a table of values",
    "v_unknown": "is not a field here; check its spelling",
    "v_url": "must be a web address (https://…)",
    "v_id": "must be a lower-case id: letters, digits, '-', '_' or '.', at most 64",
    "v_country": "must be a two-letter country code such as KZ",
    "v_locale": "unknown language; use kk, ru, en, uz or ky",
    "v_one_purpose": "needs at least one purpose",
    "v_guardian_age": "needs a minimum age: whose guardian must consent?",
    "v_duplicate": "the id {id} is used twice",
    "v_bin": "not a valid 12-digit BIN (its check digit is wrong)",
    "v_utc": "needs a time zone offset, e.g. 2025-12-01T00:00:00Z",
    "v_date": "must be a date or a date and time",
    "v_unknown_purpose": "names the purpose {id}, which this version does not have",
    "g_new": "new {kind}: {id}",
    "g_vendor_moves": "vendor {id} moves data from {old} to {new}",
    "g_required": "purpose {id} becomes required",
    "g_purpose_data": "purpose {id} now uses the data category {data}",
    "g_purpose_vendor": "purpose {id} now shares data with the vendor {vendor}",
    "g_min_age": "minimum age lowered from {old} to {new}",
    "g_min_age_none": "minimum age {old} removed",
    "g_guardian": "guardian consent is no longer required",
    "g_third_party_transfer": "transfer to third parties turned on",
    "g_cross_border_transfer": "cross-border transfer turned on",
    "g_public_disclosure": "public disclosure turned on",
    "g_mode_new": "Consent Mode signal {signal} is now granted by {purposes}",
    "g_mode_changed": "Consent Mode signal {signal} is granted by {purposes} instead of {before}",
    "g_term": "consent term longer: {old} → {new}",
    "g_term_indefinite": "consent term longer: {old} → indefinite",
    "g_app_field": "changed from {old} to {new}",
    "g_controller_field": "changed from {old} to {new}",
    "g_store_added": "store label now says: {line}",
    "g_store_gone": "store label no longer says: {line}",
    "g_store_table": "the app's settings for the stores ([store]) changed",
    "v_company_digits": "must be {digits} digits ({name})",
    "g_catalog_new": "new {kind} in the app details: {id}",
    "g_catalog_removed": "removed from the app details: {kind} {id}",
    "g_catalog_changed": "changed in the app details: {kind} {id}",
    "doc_too_large": "{size} is over MAX_DOCUMENT_BYTES, the {limit} a document may have in UTF-8",
    "doc_not_utf8": "not UTF-8 (byte {byte})",
    "doc_empty": "the document is empty",
    "doc_nul": "contains a NUL character",
    "doc_not_locale": "not a language Kelisim publishes (kk, ru, en, uz, uz-Cyrl, ky)",
    "no_documents": "the draft has no document; add one per language",
    "no_document_in": "there is no document in {tag}",
    "doc_no_title": "no title: start the document with a # heading or fill in its title",
    "unknown_vendor": "unknown vendor {id}; add it to the app details first",
    "third_party_contradiction": (
        "not ticked, but purposes share data with {vendors}: "
        "tick it, or remove those vendors from the purposes"),
    "cross_border_contradiction": (
        "not ticked, but {vendors} are outside {country}: "
        "tick it, or remove those vendors from the purposes"),
    "unknown_category": "unknown data category {id}; add it to the app details first",
    "unknown_permission": "unknown permission {id}; add it to the app details first",
    "summary_missing":
        "missing: say what changed since the previous version, in every language the policy has",
    "default_text_missing": "missing in the app's default language",
    "other_app": "{id} is not the app being published ({app})",
    "effective_past":
        "{at} is in the past (now {now}); leave it empty to take effect when published, or set "
        "a later time",
    "label_taken": "version {label} is published already; give the new version a new label",
    "effective_first": "the first version of an app takes effect when published; leave it empty",
    "effective_before": "{at} is before version {label}'s {before}",
    "effective_pending":
        "version {label} is already scheduled for {at}; publish the next one after it takes "
        "effect",
    "title_missing":
        "missing in {tag}: a user reading that language would see the title in another one",
    "text_missing_in": "missing in {tag}",
    "toml_invalid": "not valid TOML at line {line}, column {column}",
    "toml_invalid_somewhere": "not valid TOML",
    "purposes_extra": "unexpected keys {keys}; only [[purposes]] tables belong here",
    "app_id_stays": "the app's id must stay {id}",
    "upload_too_large":
        "The file is larger than MAX_DOCUMENT_BYTES ({limit}), the most a policy document may "
        "have.",
    "import_doc_too_large":
        "The {tag} document is {size}, over MAX_DOCUMENT_BYTES, the {limit} a document may have.",
    "import_text_too_large":
        "The file's text is over {limit} (twice MAX_DOCUMENT_BYTES), more than a policy "
        "document may have.",
    "text_too_large":
        "{size} in UTF-8, over MAX_DOCUMENT_BYTES, the {limit} a document may have",
    "imp_no_section": "{file}: no {tag} section (found: {found})",
    "imp_foreign":
        "{file}: the text looks like another language ({lang}); Kelisim publishes kk, ru, en, "
        "uz and ky; choose the language in the upload form to import it anyway",
    "imp_no_language":
        "{file}: the language of the text cannot be told; choose it in the upload form",
    "imp_two_sections": "{file}: two sections in {tag}; split the file by hand",
    "imp_no_text":
        "{file}: the document has no text (only images or nothing); save the policy's text in "
        "it, or export it as text",
    "imp_scanned":
        "{file}: no text layer on its {pages} page(s) (a scanned image?); export the policy as "
        "text from the original document, or run OCR first",
    "imp_not_utf16": "{file}: not valid UTF-16",
    "imp_not_utf8": "{file}, line {line}: not UTF-8; save the file as UTF-8 first",
    "imp_doc": "{file}: a Word 97-2003 .doc file; save it as .docx and upload that",
    "imp_not_pdf": "{file}: not a PDF",
    "imp_encrypted": "{file}: the PDF is encrypted; export an unprotected copy",
    "imp_empty": "{file}: the file is empty",
    "imp_rtf": "{file}: an RTF file; save it as .docx or plain text",
    "form_too_large":
        "The form is larger than ADMIN_MAX_BODY_BYTES, {limit}; a policy document may have "
        "{doc_limit} (MAX_DOCUMENT_BYTES).",
    "published_this":
        "version {number} ({label}) of {app} was just published by {actor} at {at}; this draft "
        "is published; nothing more was done",
    "published_other":
        "version {number} ({label}) of {app} was just published by {actor} at {at}; check the "
        "draft against it and publish again",
    "confirm_key_change": (
        "Tick the box beside the button: the old key "
        "is refused at once and this cannot be undone."),
}
