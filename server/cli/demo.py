"""``kelisim demo-setup``: the demo app's keys, registration and versions, idempotently."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from server.cli.common import CLI_ACTOR, creates_instance, kelisim, now
from server.cli.users import ensure_first_owner
from server.models import App, PolicyVersion
from server.policy.publish import publish_version, register_app
from server.policy.source import load_app_dir, load_version_dir
from server.trust.roots import current_root, init_root

__all__ = ["DEMO_POLICY", "demo_setup"]

# In a clone of the repository only: the `kelisim` wheel installs the server, not the demo.
DEMO_POLICY = Path(__file__).resolve().parents[2] / "demo_app" / "policy" / "jana-courier"


def _policy_dir(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path:
    """The policy to publish: checked while the options are read, before the instance
    folder is made, so a server installed from its wheel stops without leaving one."""
    if value is None and not DEMO_POLICY.is_dir():
        raise click.BadParameter(
            f"the demo policy is not at {DEMO_POLICY}: it comes with a clone of the "
            f"repository (demo_app/policy/jana-courier), not with the installed server. "
            f"Pass the folder of an app's policy (app.toml and one folder per version).",
            param_hint="--policy-dir")
    return value or DEMO_POLICY


@creates_instance
@click.command("demo-setup")
@click.option("--policy-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, callback=_policy_dir,
              help="Default: the Jana Courier policy of demo_app, in a clone of the repository.")
@with_appcontext
def demo_setup(policy_dir: Path) -> None:
    """Migrate, create keys, register the demo app and publish its versions (idempotent)."""
    k = kelisim()
    k.db.upgrade()
    changed = False
    with k.db.session() as s:
        if current_root(s) is None:
            init_root(s, k.keys_dir, now(), k.root_ttl, actor=CLI_ACTOR,
                      deployment=k.settings.deployment_name)
            click.echo(f"created keys in {k.keys_dir} and signed root v1")
            changed = True
    base = policy_dir
    meta = load_app_dir(base)
    with k.db.session() as s:
        if s.get(App, meta.id) is None:
            register_app(s, meta, now(), actor=CLI_ACTOR)
            click.echo(f"registered app {meta.id}")
            changed = True
    for version_dir in sorted(p for p in base.iterdir() if (p / "version.toml").exists()):
        version = load_version_dir(version_dir, k.settings.max_document_bytes)
        with k.db.session() as s:
            exists = s.scalar(select(PolicyVersion.id).where(
                PolicyVersion.app_id == meta.id,
                PolicyVersion.label == version.spec["label"]))
            if exists is None:
                r = publish_version(s, meta.id, version, k.keys_dir, now(), k.timing,
                                    actor=CLI_ACTOR, app_meta=meta)
                click.echo(f"published {meta.id} {r.label} ({r.significance})")
                changed = True
    password = ensure_first_owner()  # the console's first owner, so `make run` has a login
    if password is not None:
        click.echo(f"console: http://{k.settings.host}:{k.settings.port}/admin/ "
                   f"user owner@localhost, one-time password {password}")
        changed = True
    if not changed:
        click.echo("demo already set up: nothing to do")
    k.published.invalidate()
