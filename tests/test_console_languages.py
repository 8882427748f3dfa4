"""Every console page, rendered by a real server in Kazakh and in Russian, shows no text of
the English catalogue (the Keys page in Kazakh was half English: the older test only read
the templates, and only for Russian). Pages are fetched as a browser does, signed in,
after real SDK clients sent records and a deletion request, with a draft the guard
refuses, a form with errors and a failed sign-in."""

from __future__ import annotations

import functools
import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from client_sdk import ConsentClient
from livesrv import demo_server
from server import create_app
from server.admin.i18n_texts import TEXTS

pytestmark = pytest.mark.slow  # one worker runs them all (conftest.ONE_WORKER)

APP = "jana-courier"
PASSWORD = "console languages password"
LANGS = ("kk", "ru")
# Elements whose text is data or code, not the console's words.
_SKIP = {"script", "style", "code", "pre", "textarea", "kbd", "samp"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}


class Visible(HTMLParser):
    """The text a reader sees in the page's language: text nodes and the attributes a
    browser shows, without code, data marked ``translate="no"`` and content marked with
    another ``lang`` (the phone preview and documents in their own language)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = ""
        self.texts: list[str] = []
        self._stack: list[bool] = []  # per open element: is its content skipped

    def _skipping(self) -> bool:
        return bool(self._stack) and self._stack[-1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang", "")
        skip = self._skipping() or tag in _SKIP or a.get("translate") == "no" or \
            ("lang" in a and tag != "html" and a["lang"] != self.lang)
        if not skip:
            for name in ("title", "placeholder", "aria-label", "alt"):
                if a.get(name):
                    self.texts.append(a[name])
            if tag == "input" and a.get("type") in ("submit", "button") and a.get("value"):
                self.texts.append(a["value"])
        if tag not in _VOID:
            self._stack.append(skip)

    def handle_endtag(self, tag: str) -> None:
        if tag not in _VOID and self._stack:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._skipping():
            self.texts.append(text)


def visible(html: str) -> tuple[str, list[str]]:
    parser = Visible()
    parser.feed(html)
    parser.close()
    return parser.lang, parser.texts


@functools.cache
def _pattern(text: str) -> re.Pattern[str]:
    """A catalogue text as a whole-phrase pattern; ``{name}`` stands for any value (cached:
    the catalogues hold more patterns than the re module's own cache)."""
    parts = re.split(r"\{[a-z_]*\}", text)
    body = ".+?".join(re.escape(p) for p in parts)
    return re.compile(rf"(?<![\w]){body}(?![\w])")


ENGLISH = TEXTS["en"]
KEYS = sorted(set(TEXTS["ru"]) | set(TEXTS["kk"]) | set(ENGLISH))


def untranslated(lang: str, texts: list[str]) -> list[tuple[str, str]]:
    """(English catalogue text, where) for every catalogue text shown in English on a page
    in ``lang``. A translation that keeps an English term (``major (елеулі)``) is taken out
    of the text first."""
    keep = sorted((t for t in TEXTS[lang].values() if re.search("[A-Za-z]", t)),
                  key=len, reverse=True)
    found = []
    for text in texts:
        for t in keep:
            if _literal(t) in text:  # the regex only where its longest fixed part is
                text = _pattern(t).sub(" ", text)
        for key in KEYS:
            english = ENGLISH.get(key, key)
            if TEXTS[lang].get(key) == english:
                continue  # the same in both languages (none today; a brand name would be)
            if _literal(english) in text and _pattern(english).search(text):
                found.append((english, text))
    return found


@functools.cache
def _literal(text: str) -> str:
    """The longest part of a catalogue text that is not a ``{name}``: any text the pattern
    matches contains it."""
    return max(re.split(r"\{[a-z_]*\}", text), key=len)


class Browser:
    """A cookie-keeping HTTP client that posts forms with the page's CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar),
                                                  _NoRedirect())

    def request(self, path: str, data: dict[str, str] | None = None,
                files: dict[str, tuple[str, bytes]] | None = None) -> tuple[int, str, str]:
        """(status, body, Location) of one request; redirects are not followed."""
        headers: dict[str, str] = {}
        body: bytes | None = None
        if files is not None:
            boundary = uuid.uuid4().hex
            chunks = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'
                      f"{v}\r\n".encode() for k, v in (data or {}).items()]
            for name, (filename, content) in files.items():
                chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}";'
                              f' filename="{filename}"\r\n\r\n'.encode() + content + b"\r\n")
            body = b"".join(chunks) + f"--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        elif data is not None:
            body = urllib.parse.urlencode(data).encode()
        req = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            with self.opener.open(req, timeout=30) as resp:
                return resp.status, resp.read().decode(), resp.headers.get("Location", "")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(), exc.headers.get("Location", "")

    def get(self, path: str) -> tuple[int, str]:
        status, body, _ = self.request(path)
        return status, body

    def post(self, path: str, data: dict[str, str] | None = None, *, form_from: str = "/admin/",
             files: dict[str, tuple[str, bytes]] | None = None) -> tuple[int, str, str]:
        token = re.search(r'name="csrf_token" value="([^"]+)"', self.get(form_from)[1])
        assert token, form_from
        return self.request(path, {**(data or {}), "csrf_token": token.group(1)}, files)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Form(HTMLParser):
    """The fields of the first form posting to ``action``, as a browser would send them."""

    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action, self.inside, self.fields = action, False, {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._option: bool = False  # a selected option without a value: its text is

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action and not self.fields
        if not self.inside:
            return
        name = a.get("name", "")
        if tag == "input" and name and (a.get("type") != "checkbox" or "checked" in a):
            self.fields[name] = a.get("value", "")
        elif tag == "textarea":
            self._textarea, self.fields[name] = name, ""
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.fields[self._select] = a.get("value", "")
            self._option = "value" not in a

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag in ("textarea", "select"):
            self._textarea = self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data
        elif self._option and self._select:
            self.fields[self._select] += data.strip()
            self._option = False


def form_fields(html: str, action: str) -> dict[str, str]:
    parser = Form(action)
    parser.feed(html)
    return parser.fields


def sign_in(base: str, email: str, password: str, new_password: str | None = None) -> Browser:
    b = Browser(base)
    status, _, _ = b.post("/admin/login", {"email": email, "password": password},
                          form_from="/admin/login")
    assert status == 303, status
    if new_password is not None:  # a one-time password: every page sends one here first
        assert b.request("/admin/")[2].endswith("/admin/password")
        status, _, _ = b.post("/admin/password", {"current": password, "new": new_password,
                                                  "confirm": new_password},
                              form_from="/admin/password")
        assert status == 303
    return b


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A real server with records, a deletion request, a second user and a draft."""
    tmp = tmp_path_factory.mktemp("console-languages")
    with demo_server(tmp) as served:
        base, one_time, root = served["url"], served["password"], served["root"]
        client = ConsentClient(base, APP, root, tmp / "app", preferred_locales=("kk",))
        assert client.refresh().ok
        accepted = client.accept(["analytics"], age_confirmed=True,
                                 evidence={"scrolled_to_end": True})
        client.request_deletion()
        assert client.sync().ok
        client.close()
        owner = sign_in(base, "owner@localhost", one_time, PASSWORD)
        status, _, where = owner.post(f"/admin/apps/{APP}/drafts", form_from=f"/admin/apps/{APP}")
        assert status == 303
        draft = where.rsplit("/", 1)[1]
        yield {"base": base, "owner": owner, "draft": draft, "record": accepted.id,
               "instance": tmp / "instance"}


def pages(c: dict[str, Any]) -> list[str]:
    d = f"/admin/drafts/{c['draft']}"
    return ["/admin/", f"/admin/apps/{APP}", f"/admin/apps/{APP}/dashboard",
            f"/admin/apps/{APP}/consents", f"/admin/apps/{APP}/consents/{c['record']}?verify=1",
            "/admin/audit", d, f"{d}/diff", f"{d}/doc/kk", f"{d}/doc/uz", f"{d}/preview",
            f"{d}/preview?locale=en", "/admin/keys", f"/admin/apps/{APP}/api-keys",
            f"/admin/apps/{APP}/webhooks", f"/admin/apps/{APP}/log",
            "/admin/requests", "/admin/requests?all=1", "/admin/users", "/admin/password",
            "/admin/apps/nosuch", "/admin/new-app", f"/admin/apps/{APP}/versions/2/labels"]


def check(lang: str, what: str, status: int, html: str) -> list[str]:
    assert status < 500, (what, status)
    page_lang, texts = visible(html)
    assert page_lang == lang, (what, page_lang)
    return [f"{lang} {what}: {english!r} in {text!r}"
            for english, text in untranslated(lang, texts)]


@pytest.mark.parametrize("lang", LANGS)
def test_every_console_page_is_in_the_chosen_language(console: dict[str, Any],
                                                      lang: str) -> None:
    owner: Browser = console["owner"]
    assert owner.get(f"/admin/lang/{lang}")[0] in (302, 303)
    problems: list[str] = []
    seen: set[str] = set()
    for path in pages(console):
        status, html = owner.get(path)
        problems += check(lang, path, status, html)
        seen.add(path.split("?")[0])
    d = f"/admin/drafts/{console['draft']}"
    # The guard refusing a mislabelled minor version, and a form with errors.
    fields = form_fields(owner.get(d)[1], d)
    refused = {**fields, "label": "3.0", "significance": "minor", "public_disclosure": "true"}
    status, _, _ = owner.post(d, refused, form_from=d)
    assert status == 303
    status, html = owner.get(d)
    assert 'id="guard-reasons"' in html
    problems += check(lang, "draft refused by the guard", status, html)
    status, html, _ = owner.post(d, {**refused, "consent_term": "a year"}, form_from=d)
    assert status == 422 and 'data-field="consent_term"' in html
    problems += check(lang, "draft form with an error", status, html)
    status, html, _ = owner.post(f"/admin/apps/{APP}/drafts/upload", {"locale": ""},
                                 form_from=f"/admin/apps/{APP}",
                                 files={"file": ("", b"")})
    problems += check(lang, "upload refused", status, html)
    # A new app with a wrong company number, e-mail and id: each error named in the language.
    status, html, _ = owner.post("/admin/new-app", {
        "id": "Bad Id", "name": "X", "controller_name": "X LLP", "country": "UZ",
        "bin": "12", "email": "x", "address": "Tashkent", "default_locale": "uz",
        "request_deadline_days": "30"}, form_from="/admin/new-app")
    assert status == 422 and html.count('class="field-error"') == 3, html
    problems += check(lang, "new app refused", status, html)
    # The log page's proof form with an unknown id.
    status, html, _ = owner.post(f"/admin/apps/{APP}/log/proof", {"id": str(uuid.uuid4())},
                                 form_from=f"/admin/apps/{APP}/log")
    assert status == 404 and 'data-field="id"' in html
    problems += check(lang, "log page's proof form refused", status, html)
    status, html, _ = owner.post("/admin/users", {"email": f"{lang}@example.com",
                                                  "role": "viewer"}, form_from="/admin/users")
    assert 'id="one-time"' in html
    problems += check(lang, "user created", status, html)
    # An API key made (shown once, then listed), and the form with an error.
    keys = f"/admin/apps/{APP}/api-keys"
    status, html, _ = owner.post(keys, {"name": f"CRM {lang}", "scope": "consent:read"},
                                 form_from=keys)
    assert status == 201 and 'id="new-key"' in html
    problems += check(lang, "API key created", status, html)
    problems += check(lang, "API keys listed", *owner.get(keys))
    status, html, _ = owner.post(keys, {"name": ""}, form_from=keys)
    assert status == 422 and 'data-field="name"' in html
    problems += check(lang, "API key form with errors", status, html)
    # A webhook endpoint added (its secret shown once), listed with a delivery, and the form
    # with errors.
    hooks = f"/admin/apps/{APP}/webhooks"
    status, html, _ = owner.post(hooks, {"url": f"https://hooks.example/{lang}",
                                         "event": "consent.accepted"}, form_from=hooks)
    assert status == 201 and 'id="new-secret"' in html
    problems += check(lang, "webhook endpoint added", status, html)
    problems += check(lang, "webhooks listed", *owner.get(hooks))
    status, html, _ = owner.post(hooks, {"url": "ftp://x"}, form_from=hooks)
    assert status == 422 and 'data-field="url"' in html
    problems += check(lang, "webhook form with errors", status, html)
    # Signed out: the sign-in page, and a failed sign-in.
    guest = Browser(console["base"])
    guest.get(f"/admin/lang/{lang}")
    problems += check(lang, "/admin/login", *guest.get("/admin/login"))
    status, html, _ = guest.post("/admin/login", {"email": "owner@localhost",
                                                  "password": "wrong password here"},
                                 form_from="/admin/login")
    assert status == 401
    problems += check(lang, "failed sign-in", status, html)
    assert problems == [], "\n".join(problems)
    # Every console page that answers GET with HTML was rendered.
    app = create_app({"INSTANCE_PATH": str(console["instance"])})
    adapter = app.url_map.bind("127.0.0.1")
    rendered = {adapter.match(p)[0] for p in seen | {"/admin/login"}}
    html_pages = {r.endpoint for r in app.url_map.iter_rules()
                  if r.endpoint.startswith("admin.") and "GET" in (r.methods or ())
                  and r.endpoint not in ("admin.static", "admin.auth.language",
                                         "admin.consents.export", "admin.labels.download")}
    assert html_pages - rendered == set()


def test_every_catalogue_text_has_kazakh_and_russian() -> None:
    """Static: every text the templates and views pass to ``_()`` literally, and every key
    the catalogue knows (roles, significances, checks, message codes), in both languages."""
    templates = Path(__file__).resolve().parent.parent / "server" / "admin" / "templates"
    used: set[str] = set()
    for path in [*templates.rglob("*.html"), *templates.parent.rglob("*.py")]:
        text = path.read_text("utf-8")
        used |= set(re.findall(r'_\("((?:[^"\\]|\\.)*)"', text))
        used |= set(re.findall(r"_\('((?:[^'\\]|\\.)*)'", text))
    assert len(used) > 200
    for lang in LANGS:
        missing = sorted(t for t in used | set(KEYS) if not TEXTS[lang].get(t))
        assert missing == [], (lang, missing)


_RAW_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")


def test_no_page_prints_a_raw_utc_time(console: dict[str, Any]) -> None:
    """Every console page shows its times through the ``localtime`` filter: in the user's
    zone, the UTC time only on hover (``title``) and in ``<time datetime>``. Data shown as
    data (the signed receipt, a diff, code) is not the console's words and may hold it."""
    owner: Browser = console["owner"]
    owner.get("/admin/lang/en")
    problems, unnamed, times = [], [], 0
    for path in pages(console):
        status, html = owner.get(path)
        assert status < 500, path
        times += html.count("<time ")
        _, texts = visible(re.sub(r'\stitle="[^"]*"', "", html))
        problems += [f"{path}: {t!r}" for t in texts if _RAW_UTC.search(t)]
        if "Times: Asia/Almaty" not in html and path != "/admin/apps/nosuch":
            unnamed.append(path)  # the page names the zone its times are in
    assert problems == [], "\n".join(problems)
    assert unnamed == []
    assert times > 10
