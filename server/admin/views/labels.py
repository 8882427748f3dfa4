"""Store privacy labels in the console: what each version's App Store and Google Play labels
say, and its files to download (docs/store-labels.md). Read-only: any signed-in role."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort

from server.admin.i18n import language
from server.admin.security import now, requires
from server.admin.views import kelisim, page
from server.errors import LabelError
from server.models import App, PolicyVersion
from server.policy.labelfiles import PLIST_NAME
from server.policy.labelsource import VersionLabels, version_labels
from server.policy.storelabels import label_lines

__all__ = ["bp"]

bp = Blueprint("labels", __name__)

_TYPES = {".xcprivacy": "application/x-plist", ".json": "application/json",
          ".csv": "text/csv; charset=utf-8", ".md": "text/markdown; charset=utf-8"}


def _labels(app_id: str, number: int) -> tuple[Any, Any, VersionLabels | None, list[str]]:
    with kelisim().db.session(readonly=True) as s:
        app = s.get(App, app_id)
        version = s.query(PolicyVersion).filter_by(app_id=app_id, number=number).first()
        if app is None or version is None:
            abort(404)
        try:
            made = version_labels(s, app_id, number, now())
        except LabelError as exc:
            return app, version, None, exc.problems
    return app, version, made, list(made.labels.problems)


@bp.get("/apps/<app_id>/versions/<int:number>/labels")
@requires("view")
def show(app_id: str, number: int) -> Any:
    app, version, made, problems = _labels(app_id, number)
    files: list[str] = []
    if made is not None and not problems:
        try:
            files = sorted(made.files(python_runtime=True))
        except LabelError as exc:
            problems = exc.problems
    lines = label_lines(made.labels, language()) if made is not None else []
    return page("labels.html", app=app, version=version, made=made, problems=problems,
                apple=[x.removeprefix("Apple: ") for x in lines if x.startswith("Apple: ")],
                play=[x.removeprefix("Play: ") for x in lines if x.startswith("Play: ")],
                files=files)


@bp.get("/apps/<app_id>/versions/<int:number>/labels/<name>")
@requires("view")
def download(app_id: str, number: int, name: str) -> Any:
    _app, _version, made, problems = _labels(app_id, number)
    if made is None or problems:
        abort(404)
    try:
        # The bundle's manifest, with the entries CPython needs (docs/packaging.md).
        files = made.files(python_runtime=True)
    except LabelError:
        abort(404)
    if name not in files:
        abort(404)
    suffix = "." + name.rsplit(".", 1)[-1] if name != PLIST_NAME else ".xcprivacy"
    return Response(files[name], mimetype=_TYPES.get(suffix, "application/octet-stream"),
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
