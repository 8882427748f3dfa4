"""`kelisim import --new-app`: the importer writes a reviewable app.toml from what the policy
says of its controller and registers the app once app.toml is complete (issue 18 §1)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import sqlalchemy as sa

from server import Kelisim
from server.models import AdminEvent, App
from server.policy.importing.controller import find_controller

DATA = Path(__file__).resolve().parent / "data" / "policies"


def registered(kelisim: Kelisim) -> list[str]:
    with kelisim.db.session(readonly=True) as s:
        return list(s.scalars(sa.select(App.id)))


def test_new_app_from_an_uzbek_policy(cli, kelisim: Kelisim, tmp_path: Path) -> None:
    """Found values are marked for review with where they were found; the company number
    the policy does not state is an empty value saying what belongs there; the app is not
    registered until each line is settled, then `apps create` registers it and the version
    publishes."""
    cli("keys", "init")
    app_dir = tmp_path / "uz.ipak_market"
    out = cli("import", str(DATA / "ipak-market.uz.md"), "--app", "uz.ipak_market",
              "--new-app", "--out", str(app_dir / "1.0")).output
    toml_path = app_dir / "app.toml"
    assert f"wrote {toml_path}" in out
    text = toml_path.read_text("utf-8")
    lines = text.splitlines()
    assert 'name = "“Ipak Market” MChJ"  # REVIEW: found in uz.md line 4; check it' in lines
    assert ('address = "Toshkent sh., Navoiy koʻchasi 12"  # REVIEW: found in uz.md line 4; '
            'check it') in lines
    assert any(re.fullmatch(r'email = "privacy@ipak-market\.example"  # REVIEW: found in '
                            r'uz\.md line \d+; check it', line) for line in lines)
    assert any(line.startswith('bin = ""  # REVIEW: not found in the policy: the '
                               "controller's company number (KZ: BIN, 12 digits; UZ: TIN "
                               "(STIR), 9 digits") for line in lines)
    assert 'country = "UZ"  # REVIEW: guessed from the policy\'s language (uz)' in text
    # Not registered: every marker is named by its line.
    bin_line = next(n for n, line in enumerate(lines, 1) if line.startswith("bin ="))
    assert "The app uz.ipak_market is not registered yet" in out
    assert f"{toml_path}:{bin_line}: still marked REVIEW" in out
    assert f"then `kelisim apps create {app_dir}` registers it." in out
    assert registered(kelisim) == []
    refused = cli("apps", "create", str(app_dir), ok=False).output
    assert f"{toml_path}:{bin_line}: still marked REVIEW" in refused
    # The markers gone but the number still empty: the schema names the field.
    toml_path.write_text(re.sub(r"\s*# REVIEW.*", "", text), "utf-8")
    refused = cli("apps", "create", str(app_dir), ok=False).output
    assert f"{toml_path}: controller.bin: must be 9 digits (TIN (STIR))" in refused
    assert registered(kelisim) == []
    toml_path.write_text(toml_path.read_text("utf-8").replace('bin = ""', 'bin = "305123456"'),
                         "utf-8")
    assert "app uz.ipak_market registered" in cli("apps", "create", str(app_dir)).output
    assert tomllib.loads(toml_path.read_text("utf-8"))["controller"]["bin"] == "305123456"
    version = app_dir / "1.0" / "version.toml"
    version.write_text(re.sub(r"\s*# REVIEW.*", "", version.read_text("utf-8")), "utf-8")
    assert "published uz.ipak_market version" in cli("publish", str(app_dir / "1.0")).output


def test_an_app_toml_already_there_and_complete_registers_at_import(
        cli, kelisim: Kelisim, tmp_path: Path) -> None:
    app_dir = tmp_path / "kz.dala_taxi"
    app_dir.mkdir()
    (app_dir / "app.toml").write_text(
        'id = "kz.dala_taxi"\nname = "Dala Taxi"\ndefault_locale = "kk"\n[controller]\n'
        'name = "ТОО «Dala Taxi»"\nbin = "240540012347"\ncountry = "KZ"\n'
        'email = "privacy@dala-taxi.example"\naddress = "Almaty, Abay 1"\n', "utf-8")
    before = (app_dir / "app.toml").read_bytes()
    out = cli("import", str(DATA / "dala-taxi.kk-ru.txt"), "--app", "kz.dala_taxi",
              "--new-app", "--out", str(app_dir / "1.0")).output
    assert f"registered app kz.dala_taxi from {app_dir / 'app.toml'}" in out
    assert (app_dir / "app.toml").read_bytes() == before  # the officer's file is kept
    assert registered(kelisim) == ["kz.dala_taxi"]
    with kelisim.db.session(readonly=True) as s:
        assert [(e.actor, e.action) for e in s.scalars(sa.select(AdminEvent))] == [
            ("cli", "app.create")]
    # Registered now: --new-app is refused before anything is written.
    out = cli("import", str(DATA / "dala-taxi.kk-ru.txt"), "--app", "kz.dala_taxi",
              "--new-app", "--out", str(app_dir / "1.1"), ok=False).output
    assert "kz.dala_taxi" in out and "exists" in out
    assert not (app_dir / "1.1").exists()


def test_a_bad_app_id_is_refused_before_anything_is_written(cli, kelisim: Kelisim,
                                                            tmp_path: Path) -> None:
    out = cli("import", str(DATA / "savat.uz.txt"), "--app", "Savat App", "--new-app",
              "--out", str(tmp_path / "x" / "1.0"), ok=False).output
    assert "--app" in out and "must be a lowercase id" in out
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(("name", "expected"), [
    ("altyn-courier.en.txt", {"name": "Altyn Courier LLP",
                              "email": "privacy@altyn-courier.example"}),
    ("bilim-quiz.ru.md", {"email": "support@bilim-quiz.example",
                          "address": "Казахстан, г. Шымкент, ул. Примерная, 1"}),
    ("dala-taxi.kk-ru.txt", {"name": "«Dala Taxi» ЖШС", "email": "privacy@dala-taxi.example"}),
    # "[Insert Company Address]" is a template's blank, not an address.
    ("sary-post.en.md", {"email": "privacy@sary-post.example"}),
])
def test_what_each_test_policy_says_of_its_controller(name: str,
                                                      expected: dict[str, str]) -> None:
    from server.policy.importing.importer import import_document

    docs = import_document((DATA / name).read_bytes(), name).documents
    found = {k: f.value for k, f in find_controller(docs).items()}
    assert found == expected


def test_a_stated_company_number_sets_the_country() -> None:
    found = find_controller({"ru": "Оператор: ТОО «Жана», БИН 240 540 012 347, Алматы.\n"})
    assert (found["bin"].value, found["country"].value) == ("240540012347", "KZ")
    assert found["name"].value == "ТОО «Жана»" and found["bin"].where == "ru.md line 1"
    # A number whose check digit fails is not taken for a BIN.
    assert "bin" not in find_controller({"ru": "БИН 240540012340"})
    found = find_controller({"uz": "“Savat” MChJ, STIR: 305123456"})
    assert (found["bin"].value, found["country"].value) == ("305123456", "UZ")
    found = find_controller({"ky": "ИНН 02412201710089"})
    assert found["country"].value == "KG"
