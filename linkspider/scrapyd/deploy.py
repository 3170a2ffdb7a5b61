"""``linkspider deploy``: build the project's egg and deploy it to Scrapyd, failing loudly.

``scrapyd-deploy`` (scrapyd-client 2.0.3) hides the build's output when the egg cannot be built,
and exits 0 when Scrapyd refuses the egg (Scrapyd answers HTTP 200 with ``"status": "error"``,
e.g. ``'NoneType' object has no attribute 'module_name'`` for an egg without its settings entry
point), leaving the refused egg stored as the project's newest version, which every later job
then runs. This command builds the egg where the output can be seen, checks that it names its
settings module, uploads it with ``scrapyd-deploy --egg`` (so targets, projects and credentials
come from ``scrapy.cfg`` as usual), and exits non-zero unless Scrapyd answers ``ok``, after
removing a refused version again. docs/runs.md, Scrapyd.
"""

from __future__ import annotations

import argparse
import configparser
import contextlib
import json
import subprocess
import sys
import tempfile
import time
import zipfile
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

#: setuptools that can build the egg: >= 77 reads pyproject's PEP 639 ``license`` string;
#: scrapyd 1.6 needs < 81 (it imports pkg_resources). requirements-dev.txt pins one.
SETUPTOOLS_MIN, SETUPTOOLS_BELOW = 77, 81


class DeployError(RuntimeError):
    """Deploying failed; the message says why and what to do."""


def check_setuptools(version: str) -> None:
    """Raise ``DeployError`` unless setuptools ``version`` can build the egg.

    >>> check_setuptools("80.9.0")
    >>> check_setuptools("65.5.0")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    linkspider.scrapyd.deploy.DeployError: setuptools 65.5.0 cannot build linkspider's egg: it needs >= 77 ...
    """
    try:
        major = int(version.split(".")[0])
    except ValueError:
        major = -1
    if not SETUPTOOLS_MIN <= major < SETUPTOOLS_BELOW:
        raise DeployError(
            f"setuptools {version} cannot build linkspider's egg: it needs >= {SETUPTOOLS_MIN} "
            f"(pyproject's license string) and < {SETUPTOOLS_BELOW} (scrapyd imports "
            "pkg_resources); pip install setuptools==80.9.0 (pinned in requirements-dev.txt)"
        )


def build_egg(project_dir: Path, work_dir: Path) -> Path:
    """Build the egg of the project at ``project_dir`` with everything temporary in
    ``work_dir`` (the project folder gains no build/ or egg-info); return its path."""
    check_setuptools(metadata.version("setuptools"))
    command = [
        sys.executable, "setup.py", "egg_info", "--egg-base", str(work_dir),
        "build", "--build-base", str(work_dir / "build"),
        "bdist_egg", "--bdist-dir", str(work_dir / "bdist"), "--dist-dir", str(work_dir / "dist"),
    ]  # fmt: skip
    result = subprocess.run(command, cwd=project_dir, capture_output=True, text=True, check=False)
    eggs = sorted((work_dir / "dist").glob("*.egg"))
    if result.returncode != 0 or not eggs:
        output = (result.stderr or result.stdout).strip().splitlines()
        raise DeployError(
            f"building the egg in {project_dir} failed ({' '.join(command[:3])} ...):\n"
            + "\n".join(output[-15:])
        )
    return eggs[0]


def egg_settings_module(egg: Path) -> str | None:
    """Return the settings module an egg names in its ``scrapy`` entry points, or None."""
    with zipfile.ZipFile(egg) as archive:
        try:
            text = archive.read("EGG-INFO/entry_points.txt").decode()
        except KeyError:
            return None
    entry_points = configparser.ConfigParser()
    entry_points.read_string(text)
    return entry_points.get("scrapy", "settings", fallback=None)


def deploy_target(project_dir: Path, target: str) -> dict[str, str]:
    """Return the settings (url, project, username, ...) of deploy target ``target`` as
    ``scrapyd-deploy`` reads them from the project's scrapy.cfg."""
    from scrapyd_client.utils import _get_targets

    with contextlib.chdir(project_dir):
        targets = _get_targets()
    if target not in targets:
        raise DeployError(
            f"no deploy target {target!r} in {project_dir / 'scrapy.cfg'}: add a "
            f"[deploy:{target}] section with url = http://HOST:6800/ and project = linkspider"
        )
    return targets[target]


def remove_version(settings: dict[str, str], project: str, version: str) -> str | None:
    """Delete ``version`` of ``project`` from the target's Scrapyd; return None when done, or
    why it could not be."""
    import requests
    from scrapyd_client.utils import get_auth

    auth = get_auth(url=settings["url"], username=settings.get("username", ""),
                    password=settings.get("password", ""))  # fmt: skip
    try:
        answer = requests.post(urljoin(settings["url"], "delversion.json"), auth=auth, timeout=30,
                               data={"project": project, "version": version}).json()  # fmt: skip
    except (requests.RequestException, ValueError) as exc:
        return str(exc)
    return None if answer.get("status") == "ok" else str(answer.get("message", answer))


def upload(project_dir: Path, egg: Path, target: str, project: str | None,
           version: str | None) -> dict[str, Any]:  # fmt: skip
    """Upload ``egg`` with ``scrapyd-deploy``; return Scrapyd's answer when it is ``ok``."""
    settings = deploy_target(project_dir, target)
    project = project or settings.get("project") or ""
    version = version or str(int(time.time()))  # scrapyd-deploy's default, made explicit
    command = [sys.executable, "-m", "scrapyd_client.deploy", target, "--egg", str(egg),
               "--version", version]  # fmt: skip
    if project:
        command += ["--project", project]
    result = subprocess.run(command, cwd=project_dir, capture_output=True, text=True, check=False)
    try:
        answer = json.loads(result.stdout)
    except json.JSONDecodeError:
        answer = None
    if result.returncode != 0 or not isinstance(answer, dict):
        raise DeployError(
            f"scrapyd-deploy {target} failed (exit code {result.returncode}):\n"
            + (result.stderr + result.stdout).strip()
        )
    if answer.get("status") != "ok":
        # Scrapyd stored the egg before it tried it: unless removed, later jobs would run it.
        failure = remove_version(settings, project, version)
        aftermath = (
            f"version {version} was removed again, so {project}'s jobs keep the version before"
            if failure is None
            else f"removing version {version} failed ({failure}): delete it with curl "
            f"{urljoin(settings['url'], 'delversion.json')} -d project={project} -d "
            f"version={version}, or {project}'s jobs will run it"
        )
        raise DeployError(
            f"Scrapyd refused the egg (scrapyd-deploy exited 0 all the same); {aftermath}:\n"
            f"{answer.get('message', answer)}"
        )
    return answer


def deploy(project_dir: Path, target: str = "default", project: str | None = None,
           version: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Build and deploy the project at ``project_dir`` to ``target`` of its scrapy.cfg;
    return Scrapyd's answer (``project``, ``version``, ``spiders``)."""
    if not (project_dir / "scrapy.cfg").is_file():
        raise DeployError(
            f"no scrapy.cfg in {project_dir}: run linkspider deploy from the project folder"
        )
    try:
        import scrapyd_client  # noqa: F401
    except ImportError:
        raise DeployError(
            "scrapyd-client is not installed: pip install scrapyd-client==2.0.3 "
            "setuptools==80.9.0 (or bash scripts/setup.sh requirements-dev.txt)"
        ) from None
    deploy_target(project_dir, target)  # an unknown target fails before the build
    with tempfile.TemporaryDirectory(prefix="linkspider-egg-") as work:
        egg = build_egg(project_dir, Path(work))
        if egg_settings_module(egg) is None:
            raise DeployError(
                f"{egg.name} names no settings module, so Scrapyd could not load it: declare "
                '[project.entry-points.scrapy] settings = "linkspider.settings" in pyproject.toml'
            )
        return upload(project_dir, egg, target, project, version)


def cmd_deploy(args: argparse.Namespace) -> int:
    try:
        answer = deploy(Path(args.project_dir), args.target, args.project, args.version)
    except DeployError as exc:
        print(f"linkspider deploy: {exc}", file=sys.stderr)
        return 1
    print(f"deployed {answer.get('project')} version {answer.get('version')} "
          f"({answer.get('spiders')} spider(s)) to {args.target}")  # fmt: skip
    return 0


def add_deploy_command(sub: Any) -> None:
    """Register ``linkspider deploy`` on the ``linkspider`` command's subparsers."""
    parser = sub.add_parser("deploy", help="build the egg and deploy it to Scrapyd (scrapy.cfg)")
    parser.add_argument("target", nargs="?", default="default",
                        help="[deploy:TARGET] of scrapy.cfg (default: [deploy])")  # fmt: skip
    parser.add_argument("-p", "--project", help="project name on Scrapyd (default: scrapy.cfg's)")
    parser.add_argument("-v", "--version", help="version to deploy (default: the time)")
    parser.add_argument("--project-dir", default=".", metavar="DIR",
                        help="folder with scrapy.cfg (default: the current one)")  # fmt: skip
    parser.set_defaults(func=cmd_deploy)
