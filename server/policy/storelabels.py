"""Store privacy labels from a signed version: the mapping tables of both stores, in one place,
and what each store's label says. Pure: no I/O, no database.

A version (the ``Version`` object a manifest carries, as data) says, signed, which data
categories serve which purposes and which vendors receive them. Spec version 2 of the manifest
adds what the stores ask on top (docs/store-labels.md):

- a data category's ``store``: its Apple data types (``apple``), its Google Play data types
  (``play``), whether it is ``linked`` to the user's identity, used for ``tracking``, processed
  ``ephemeral``-ly;
- a purpose's ``store``: its Apple purposes and its Play purposes;
- the version's ``store``: ``encrypted_in_transit``, the account-deletion and data-deletion
  URLs, the tracking domains (the app's and the version's).

Collected or shared follows from the vendors: a category a purpose with a vendor uses is
shared. Optional or required follows from the purposes: a category any required purpose uses
is required.

:func:`labels_of` computes :class:`StoreLabels`; :func:`label_lines` turns them into the lines
the guard compares, the console shows and ``labels.md`` lists. :mod:`.labelfiles` writes the
files each store takes from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from server.policy.labelwords import words

__all__ = [
    "APPLE_DATA_TYPES",
    "APPLE_PURPOSES",
    "PLAY_DATA_TYPES",
    "PLAY_PURPOSES",
    "PLAY_UNANSWERED",
    "PLAY_UNANSWERED_ACCOUNTS",
    "PLAY_UNANSWERED_OTHERS",
    "AppleEntry",
    "PlayEntry",
    "StoreLabels",
    "apple_name",
    "has_store_fields",
    "label_lines",
    "labels_of",
    "play_name",
]

# --- Apple ------------------------------------------------------------------------------
# The 35 collected data types of a privacy manifest (NSPrivacyCollectedDataType), from
# "Describing data use in privacy manifests":
# https://developer.apple.com/documentation/bundleresources/describing-data-use-in-privacy-manifests
# Each with the App Store Connect category id fastlane uploads (spaceship's
# AppDataUsageCategory::ID, fastlane/spaceship/lib/spaceship/connect_api/models/
# app_data_usage_category.rb, "found at https://appstoreconnect.apple.com/iris/v1/
# appDataUsageCategories") and the name App Store pages show ("App privacy details on the App
# Store": https://developer.apple.com/app-store/app-privacy-details/). The three visionOS types
# (environment scanning, hands, head) have no category in spaceship's list: None.
APPLE_DATA_TYPES: dict[str, tuple[str | None, str]] = {
    "NSPrivacyCollectedDataTypeName": ("NAME", "Name"),
    "NSPrivacyCollectedDataTypeEmailAddress": ("EMAIL_ADDRESS", "Email Address"),
    "NSPrivacyCollectedDataTypePhoneNumber": ("PHONE_NUMBER", "Phone Number"),
    "NSPrivacyCollectedDataTypePhysicalAddress": ("PHYSICAL_ADDRESS", "Physical Address"),
    "NSPrivacyCollectedDataTypeOtherUserContactInfo": ("OTHER_CONTACT_INFO",
                                                       "Other User Contact Info"),
    "NSPrivacyCollectedDataTypeHealth": ("HEALTH", "Health"),
    "NSPrivacyCollectedDataTypeFitness": ("FITNESS", "Fitness"),
    "NSPrivacyCollectedDataTypePaymentInfo": ("PAYMENT_INFORMATION", "Payment Info"),
    "NSPrivacyCollectedDataTypeCreditInfo": ("CREDIT_AND_FRAUD", "Credit Info"),
    "NSPrivacyCollectedDataTypeOtherFinancialInfo": ("OTHER_FINANCIAL_INFO",
                                                     "Other Financial Info"),
    "NSPrivacyCollectedDataTypePreciseLocation": ("PRECISE_LOCATION", "Precise Location"),
    "NSPrivacyCollectedDataTypeCoarseLocation": ("COARSE_LOCATION", "Coarse Location"),
    "NSPrivacyCollectedDataTypeSensitiveInfo": ("SENSITIVE_INFO", "Sensitive Info"),
    "NSPrivacyCollectedDataTypeContacts": ("CONTACTS", "Contacts"),
    "NSPrivacyCollectedDataTypeEmailsOrTextMessages": ("EMAILS_OR_TEXT_MESSAGES",
                                                       "Emails or Text Messages"),
    # Apple spells this one with a lower-case "or".
    "NSPrivacyCollectedDataTypePhotosorVideos": ("PHOTOS_OR_VIDEOS", "Photos or Videos"),
    "NSPrivacyCollectedDataTypeAudioData": ("AUDIO", "Audio Data"),
    "NSPrivacyCollectedDataTypeGameplayContent": ("GAMEPLAY_CONTENT", "Gameplay Content"),
    "NSPrivacyCollectedDataTypeCustomerSupport": ("CUSTOMER_SUPPORT", "Customer Support"),
    "NSPrivacyCollectedDataTypeOtherUserContent": ("OTHER_USER_CONTENT", "Other User Content"),
    "NSPrivacyCollectedDataTypeBrowsingHistory": ("BROWSING_HISTORY", "Browsing History"),
    "NSPrivacyCollectedDataTypeSearchHistory": ("SEARCH_HISTORY", "Search History"),
    "NSPrivacyCollectedDataTypeUserID": ("USER_ID", "User ID"),
    "NSPrivacyCollectedDataTypeDeviceID": ("DEVICE_ID", "Device ID"),
    "NSPrivacyCollectedDataTypePurchaseHistory": ("PURCHASE_HISTORY", "Purchase History"),
    "NSPrivacyCollectedDataTypeProductInteraction": ("PRODUCT_INTERACTION",
                                                     "Product Interaction"),
    "NSPrivacyCollectedDataTypeAdvertisingData": ("ADVERTISING_DATA", "Advertising Data"),
    "NSPrivacyCollectedDataTypeOtherUsageData": ("OTHER_USAGE_DATA", "Other Usage Data"),
    "NSPrivacyCollectedDataTypeCrashData": ("CRASH_DATA", "Crash Data"),
    "NSPrivacyCollectedDataTypePerformanceData": ("PERFORMANCE_DATA", "Performance Data"),
    "NSPrivacyCollectedDataTypeOtherDiagnosticData": ("OTHER_DIAGNOSTIC_DATA",
                                                      "Other Diagnostic Data"),
    "NSPrivacyCollectedDataTypeEnvironmentScanning": (None, "Environment Scanning"),
    "NSPrivacyCollectedDataTypeHands": (None, "Hands"),
    "NSPrivacyCollectedDataTypeHead": (None, "Head"),
    "NSPrivacyCollectedDataTypeOtherDataTypes": ("OTHER_DATA", "Other Data Types"),
}

# Apple's six purposes (NSPrivacyCollectedDataTypePurposes, same page), with App Store
# Connect's purpose id (spaceship's AppDataUsagePurpose::ID,
# spaceship/lib/spaceship/connect_api/models/app_data_usage_purposes.rb).
APPLE_PURPOSES: dict[str, tuple[str, str]] = {
    "NSPrivacyCollectedDataTypePurposeThirdPartyAdvertising": ("THIRD_PARTY_ADVERTISING",
                                                               "Third-Party Advertising"),
    "NSPrivacyCollectedDataTypePurposeDeveloperAdvertising": ("DEVELOPERS_ADVERTISING",
                                                              "Developer's Advertising or "
                                                              "Marketing"),
    "NSPrivacyCollectedDataTypePurposeAnalytics": ("ANALYTICS", "Analytics"),
    "NSPrivacyCollectedDataTypePurposeProductPersonalization": ("PRODUCT_PERSONALIZATION",
                                                                "Product Personalization"),
    "NSPrivacyCollectedDataTypePurposeAppFunctionality": ("APP_FUNCTIONALITY",
                                                          "App Functionality"),
    "NSPrivacyCollectedDataTypePurposeOther": ("OTHER_PURPOSES", "Other Purposes"),
}


# --- Google Play --------------------------------------------------------------------------
# Data safety data types: response id -> (question id, label), in Play Console's order, from
# "Provide information for Google Play's Data safety section"
# (https://support.google.com/googleplay/android-developer/answer/10787469) and the ids of
# the CSV Play Console exports and imports (App content > Data safety > Export to CSV /
# Import from CSV; the question ids are the template's).
PLAY_DATA_TYPES: dict[str, tuple[str, str]] = {
    "PSL_NAME": ("PSL_DATA_TYPES_PERSONAL", "Personal info / Name"),
    "PSL_EMAIL": ("PSL_DATA_TYPES_PERSONAL", "Personal info / Email address"),
    "PSL_USER_ACCOUNT": ("PSL_DATA_TYPES_PERSONAL", "Personal info / User IDs"),
    "PSL_ADDRESS": ("PSL_DATA_TYPES_PERSONAL", "Personal info / Address"),
    "PSL_PHONE": ("PSL_DATA_TYPES_PERSONAL", "Personal info / Phone number"),
    "PSL_RACE_ETHNICITY": ("PSL_DATA_TYPES_PERSONAL", "Personal info / Race and ethnicity"),
    "PSL_POLITICAL_RELIGIOUS": ("PSL_DATA_TYPES_PERSONAL",
                                "Personal info / Political or religious beliefs"),
    "PSL_SEXUAL_ORIENTATION_GENDER_IDENTITY": ("PSL_DATA_TYPES_PERSONAL",
                                               "Personal info / Sexual orientation"),
    "PSL_OTHER_PERSONAL": ("PSL_DATA_TYPES_PERSONAL", "Personal info / Other info"),
    "PSL_CREDIT_DEBIT_BANK_ACCOUNT_NUMBER": ("PSL_DATA_TYPES_FINANCIAL",
                                             "Financial info / User payment info"),
    "PSL_PURCHASE_HISTORY": ("PSL_DATA_TYPES_FINANCIAL", "Financial info / Purchase history"),
    "PSL_CREDIT_SCORE": ("PSL_DATA_TYPES_FINANCIAL", "Financial info / Credit score"),
    "PSL_OTHER": ("PSL_DATA_TYPES_FINANCIAL", "Financial info / Other financial info"),
    "PSL_APPROX_LOCATION": ("PSL_DATA_TYPES_LOCATION", "Location / Approximate location"),
    "PSL_PRECISE_LOCATION": ("PSL_DATA_TYPES_LOCATION", "Location / Precise location"),
    "PSL_WEB_BROWSING_HISTORY": ("PSL_DATA_TYPES_SEARCH_AND_BROWSING",
                                 "Web browsing / Web browsing history"),
    "PSL_EMAILS": ("PSL_DATA_TYPES_EMAIL_AND_TEXT", "Messages / Emails"),
    "PSL_SMS_CALL_LOG": ("PSL_DATA_TYPES_EMAIL_AND_TEXT", "Messages / SMS or MMS"),
    "PSL_OTHER_MESSAGES": ("PSL_DATA_TYPES_EMAIL_AND_TEXT", "Messages / Other in-app messages"),
    "PSL_PHOTOS": ("PSL_DATA_TYPES_PHOTOS_AND_VIDEOS", "Photos and videos / Photos"),
    "PSL_VIDEOS": ("PSL_DATA_TYPES_PHOTOS_AND_VIDEOS", "Photos and videos / Videos"),
    "PSL_AUDIO": ("PSL_DATA_TYPES_AUDIO", "Audio files / Voice or sound recordings"),
    "PSL_MUSIC": ("PSL_DATA_TYPES_AUDIO", "Audio files / Music files"),
    "PSL_OTHER_AUDIO": ("PSL_DATA_TYPES_AUDIO", "Audio files / Other audio files"),
    "PSL_HEALTH": ("PSL_DATA_TYPES_HEALTH_AND_FITNESS", "Health and fitness / Health info"),
    "PSL_FITNESS": ("PSL_DATA_TYPES_HEALTH_AND_FITNESS", "Health and fitness / Fitness info"),
    "PSL_CONTACTS": ("PSL_DATA_TYPES_CONTACTS", "Contacts / Contacts"),
    "PSL_CALENDAR": ("PSL_DATA_TYPES_CALENDAR", "Calendar / Calendar events"),
    "PSL_CRASH_LOGS": ("PSL_DATA_TYPES_APP_PERFORMANCE", "App info and performance / Crash logs"),
    "PSL_PERFORMANCE_DIAGNOSTICS": ("PSL_DATA_TYPES_APP_PERFORMANCE",
                                    "App info and performance / Diagnostics"),
    "PSL_OTHER_PERFORMANCE": ("PSL_DATA_TYPES_APP_PERFORMANCE",
                              "App info and performance / Other app performance data"),
    "PSL_FILES_AND_DOCS": ("PSL_DATA_TYPES_FILES_AND_DOCS", "Files and docs / Files and docs"),
    "PSL_USER_INTERACTION": ("PSL_DATA_TYPES_APP_ACTIVITY", "App activity / App interactions"),
    "PSL_IN_APP_SEARCH_HISTORY": ("PSL_DATA_TYPES_APP_ACTIVITY",
                                  "App activity / In-app search history"),
    "PSL_APPS_ON_DEVICE": ("PSL_DATA_TYPES_APP_ACTIVITY", "App activity / Installed apps"),
    "PSL_USER_GENERATED_CONTENT": ("PSL_DATA_TYPES_APP_ACTIVITY",
                                   "App activity / Other user-generated content"),
    "PSL_OTHER_APP_ACTIVITY": ("PSL_DATA_TYPES_APP_ACTIVITY", "App activity / Other actions"),
    "PSL_DEVICE_ID": ("PSL_DATA_TYPES_IDENTIFIERS", "Device or other IDs / Device or other IDs"),
}

# Play's seven purposes, the same for "why collected" and "why shared" (same page).
PLAY_PURPOSES: dict[str, str] = {
    "PSL_APP_FUNCTIONALITY": "App functionality",
    "PSL_ANALYTICS": "Analytics",
    "PSL_DEVELOPER_COMMUNICATIONS": "Developer communications",
    "PSL_FRAUD_PREVENTION_SECURITY": "Fraud prevention, security, and compliance",
    "PSL_ADVERTISING": "Advertising or marketing",
    "PSL_PERSONALIZATION": "Personalization",
    "PSL_ACCOUNT_MANAGEMENT": "Account management",
}

# Questions the policy does not answer (how accounts are made, badges, families policy,
# accounts made outside the app): a template's answers to them are kept; the full question
# list leaves them empty. In two runs of the export's order: how accounts are made (before
# the account deletion URL), then the rest (after the data deletion URL). The list and its
# labels were compared (2026-12-07) with three public projects that build the CSV from
# their Play Console exports (two generators, one asserting the template's 783 lines with
# the header, as the full list here has, and a filled-in export); see docs/store-labels.md
# for what that does and does not prove.
PLAY_UNANSWERED_ACCOUNTS: tuple[tuple[str, str, str, str], ...] = (
    *(("PSL_SUPPORTED_ACCOUNT_CREATION_METHODS", rid, "MULTIPLE_CHOICE",
       "Which of the following methods of account creation does your app support? "
       f"Select all that apply / {label}")
      for rid, label in (("PSL_ACM_USER_ID_PASSWORD", "Username and password"),
                         ("PSL_ACM_USER_ID_OTHER_AUTH", "Username and other authentication"),
                         ("PSL_ACM_USER_ID_PASSWORD_OTHER_AUTH",
                          "Username, password, and other authentication"),
                         ("PSL_ACM_OAUTH", "OAuth"), ("PSL_ACM_OTHER", "Other"),
                         ("PSL_ACM_NONE", "My app does not allow users to create an account"))),
    ("PSL_ACM_SPECIFY", "", "MAYBE_REQUIRED",
     "Describe the method of account creation that your app supports"),
)
PLAY_UNANSWERED_OTHERS: tuple[tuple[str, str, str, str], ...] = (
    ("PSL_DATA_COLLECTION_COMPLIES_FAMILY_POLICY", "", "OPTIONAL",
     "Only answer this question if you've indicated that your app's target age group "
     "includes children, or you've opted into the Designed for Families program. If either "
     "of the above is true, you are required to follow the Google Play Families Policy "
     "(https://support.google.com/googleplay/android-developer/answer/9893335). Do you want "
     "to let users know about this commitment in the Data safety section on your store "
     "listing?"),
    ("PSL_INDEPENDENTLY_VALIDATED", "", "OPTIONAL",
     "Has your app successfully completed an independent security review, according to the "
     "Mobile Application Security Assessment (MASA) framework? Only answer \"yes\" if the "
     "review is in good standing."),
    ("PSL_UPI_BADGE_OPT_IN", "", "OPTIONAL",
     "Do you want to show this badge on your store listing?"),
    # Accounts made outside the app (SIM binding, an employer's): the current template's
    # last general questions, before the data types.
    ("PSL_HAS_OUTSIDE_APP_ACCOUNTS", "", "OPTIONAL",
     "Can users login to your app with accounts created outside of the app?"),
    *(("PSL_OUTSIDE_APP_ACCOUNT_TYPES", rid, "MULTIPLE_CHOICE",
       f"How are these accounts created? / {label}")
      for rid, label in (("PSL_LOGIN_WITH_OUTSIDE_APP_ID",
                          "Out of app identification (e.g. SIM binding, service subscription)"),
                         ("PSL_LOGIN_THROUGH_EMPLOYMENT_OR_ENTERPRISE_ACCOUNT",
                          "Through employment, or enterprise accounts"),
                         ("PSL_OUTSIDE_APP_ACCOUNT_TYPE_OTHER", "Other"))),
    ("PSL_OUTSIDE_APP_ACCOUNT_TYPE_SPECIFY", "", "MAYBE_REQUIRED",
     "Describe how these accounts are created"),
)
PLAY_UNANSWERED = PLAY_UNANSWERED_ACCOUNTS + PLAY_UNANSWERED_OTHERS



@dataclass(frozen=True)
class AppleEntry:
    """One Apple data type: linked, tracking, purposes (Apple's ids, sorted)."""

    type: str
    linked: bool
    tracking: bool
    purposes: tuple[str, ...]


@dataclass(frozen=True)
class PlayEntry:
    """One Play data type: collected always; shared, ephemeral, optional; the purposes it is
    collected and shared for (Play's ids, sorted)."""

    type: str
    shared: bool
    ephemeral: bool
    optional: bool
    collected_for: tuple[str, ...]
    shared_for: tuple[str, ...]


@dataclass(frozen=True)
class StoreLabels:
    """What the stores' labels say for one version; ``problems`` lists what the policy does
    not map yet (each names the data category or purpose)."""

    apple: tuple[AppleEntry, ...]
    tracking_domains: tuple[str, ...]
    play: tuple[PlayEntry, ...]
    encrypted_in_transit: bool
    account_deletion_url: str | None
    data_deletion_url: str | None
    problems: tuple[str, ...]

    @property
    def tracking(self) -> bool:
        return any(e.tracking for e in self.apple)


def has_store_fields(version: Mapping[str, Any]) -> bool:
    """Whether a version (as the manifest carries it) says anything for the stores."""
    return ("store" in version
            or any("store" in c for c in version.get("data_categories", []))
            or any("store" in p for p in version.get("purposes", [])))


def labels_of(version: Mapping[str, Any]) -> StoreLabels | None:
    """The labels of a version as the manifest carries it; None when it maps nothing."""
    if not has_store_fields(version):
        return None
    problems: list[str] = []
    purposes = list(version.get("purposes", []))
    for p in purposes:
        if not p.get("store", {}).get("apple") or not p.get("store", {}).get("play"):
            stores = [s for s in ("apple", "play") if not p.get("store", {}).get(s)]
            problems.append(f"purpose '{p['id']}' has no {' and no '.join(stores)} purposes "
                            f"(store.{stores[0]})")
    apple: dict[str, dict[str, Any]] = {}
    play: dict[str, dict[str, Any]] = {}
    for cat in version.get("data_categories", []):
        store = cat.get("store")
        users = [p for p in purposes if cat["id"] in p["data"]]
        if not store or not store.get("apple") or not store.get("play"):
            missing = [s for s in ("apple", "play") if not (store or {}).get(s)]
            problems.append(f"data category '{cat['id']}' has no "
                            f"{' and no '.join(missing)} data type (store.{missing[0]})")
        if store is None:
            continue
        shared_by = [p for p in users if p["vendors"]]
        for t in store.get("apple", []):
            e = apple.setdefault(t, {"linked": False, "tracking": False, "purposes": set()})
            e["linked"] |= bool(store.get("linked"))
            e["tracking"] |= bool(store.get("tracking"))
            for p in users:
                e["purposes"].update(p.get("store", {}).get("apple", []))
        for t in store.get("play", []):
            e = play.setdefault(t, {"shared": False, "ephemeral": True, "optional": True,
                                    "collected_for": set(), "shared_for": set()})
            e["shared"] |= bool(shared_by)
            e["ephemeral"] &= bool(store.get("ephemeral"))
            e["optional"] &= not any(p["required"] for p in users)
            for p in users:
                e["collected_for"].update(p.get("store", {}).get("play", []))
            for p in shared_by:
                e["shared_for"].update(p.get("store", {}).get("play", []))
    vstore = version.get("store", {})
    return StoreLabels(
        apple=tuple(AppleEntry(t, e["linked"], e["tracking"], tuple(sorted(e["purposes"])))
                    for t, e in sorted(apple.items(), key=lambda kv: _apple_order(kv[0]))),
        tracking_domains=tuple(vstore.get("tracking_domains", [])),
        play=tuple(PlayEntry(t, e["shared"], e["ephemeral"], e["optional"],
                             tuple(sorted(e["collected_for"], key=_play_purpose_order)),
                             tuple(sorted(e["shared_for"], key=_play_purpose_order)))
                   for t, e in sorted(play.items(), key=lambda kv: _play_order(kv[0]))),
        encrypted_in_transit=bool(vstore.get("encrypted_in_transit")),
        account_deletion_url=vstore.get("account_deletion_url"),
        data_deletion_url=vstore.get("data_deletion_url"),
        problems=tuple(problems),
    )


def _apple_order(t: str) -> int:
    keys = list(APPLE_DATA_TYPES)
    return keys.index(t) if t in APPLE_DATA_TYPES else len(keys)


def _play_order(t: str) -> int:
    keys = list(PLAY_DATA_TYPES)
    return keys.index(t) if t in PLAY_DATA_TYPES else len(keys)


def _play_purpose_order(t: str) -> int:
    keys = list(PLAY_PURPOSES)
    return keys.index(t) if t in PLAY_PURPOSES else len(keys)


def apple_name(t: str) -> str:
    """An Apple data type's App Store name (``Precise Location``)."""
    return APPLE_DATA_TYPES[t][1] if t in APPLE_DATA_TYPES else t


def play_name(t: str) -> str:
    """A Play data type's Console label (``Location / Precise location``)."""
    return PLAY_DATA_TYPES[t][1] if t in PLAY_DATA_TYPES else t


def _purpose_name(p: str) -> str:
    """A purpose's name as its store prints it (English)."""
    return APPLE_PURPOSES[p][1] if p in APPLE_PURPOSES else PLAY_PURPOSES.get(p, p)


def label_lines(labels: StoreLabels | None, language: str = "en") -> list[str]:
    """One line per thing a store page says: the lines the guard compares between versions
    (in English), the console lists and ``labels.<locale>.md`` lists (in ``language``,
    :mod:`.labelwords`). The stores' names of data types stay as the stores print them;
    each line starts with ``Apple: `` or ``Play: ``."""
    if labels is None:
        return []
    w = words(language)

    def names(ids: tuple[str, ...]) -> str:
        return ", ".join(w.get(p) or _purpose_name(p) for p in ids) or "-"

    out: list[str] = []
    for a in labels.apple:
        tracking = f", {w['used_for_tracking']}" if a.tracking else ""
        out.append(f"Apple: {apple_name(a.type)}: {w['linked' if a.linked else 'not_linked']}"
                   f"{tracking}; {w['for'].format(purposes=names(a.purposes))}")
    out.append(f"Apple: {w['tracking']}: {w['yes' if labels.tracking else 'no']}")
    if labels.tracking_domains:
        out.append(f"Apple: {w['tracking_domains']}: {', '.join(labels.tracking_domains)}")
    for e in labels.play:
        flags = [w["collected_shared" if e.shared else "collected"],
                 w["optional" if e.optional else "required"]]
        if e.ephemeral:
            flags.append(w["ephemeral"])
        line = (f"Play: {play_name(e.type)}: {', '.join(flags)}; "
                f"{w['collected_for'].format(purposes=names(e.collected_for))}")
        if e.shared:
            line += f"; {w['shared_for'].format(purposes=names(e.shared_for))}"
        out.append(line)
    out.append(f"Play: {w['encrypted']}: {w['yes' if labels.encrypted_in_transit else 'no']}")
    out.append(f"Play: {w['account_deletion']}: {labels.account_deletion_url or '-'}")
    out.append(f"Play: {w['data_deletion']}: {labels.data_deletion_url or '-'}")
    return out
