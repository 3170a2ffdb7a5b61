"""Scrapyd end to end: a real ``scrapyd`` on 127.0.0.1 (a free port, its own temp folder), the
egg built from ``scrapy.cfg`` with the setuptools ``scripts/setup.sh`` installs and deployed with
``scrapyd-deploy``, the ``backlinks`` spider scheduled on the local web. The run record tells a
good job from a failed one; Scrapyd's ``listjobs.json`` shows both alike."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest

from linkspider.runs import complete_runs, read_run_record, read_runs
from linkspider.web import LocalWebProcess, World, WorldConfig
from tests.conftest import PROJECT_ROOT
from tests.crawling import read_table

WORLD = WorldConfig(seed=13, sites=3, pages_per_site=6)
#: What a user's checkout holds that the egg is built from.
PROJECT_FILES = ("scrapy.cfg", "setup.py", "pyproject.toml", "README.md", "linkspider", "pipelines")
JOB_TIMEOUT = 120
#: The version ``scrapyd-deploy`` deploys, which the jobs run (later tests deploy others).
DEPLOYED = "1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Scrapyd:
    """A running Scrapyd: its URL and its working folder (where relative paths land)."""

    url: str
    home: Path

    def get(self, endpoint: str, **params: str) -> dict:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}{endpoint}{query}", timeout=10) as answer:
            return json.load(answer)

    def post(self, endpoint: str, fields: list[tuple[str, str]]) -> dict:
        data = urllib.parse.urlencode(fields).encode()
        with urllib.request.urlopen(f"{self.url}{endpoint}", data=data, timeout=10) as answer:
            return json.load(answer)

    def schedule(self, seeds: list[str], **settings: str) -> str:
        """Schedule the backlinks spider; return the job id."""
        fields = [("project", "linkspider"), ("spider", "backlinks"), ("_version", DEPLOYED),
                  ("seeds", " ".join(seeds))]  # fmt: skip
        fields += [("setting", f"{name}={value}") for name, value in settings.items()]
        answer = self.post("schedule.json", fields)
        assert answer["status"] == "ok", answer
        return answer["jobid"]

    def wait_finished(self, job: str) -> dict:
        """Return the job's entry in listjobs.json once it has finished."""
        deadline = time.monotonic() + JOB_TIMEOUT
        while time.monotonic() < deadline:
            for entry in self.get("listjobs.json", project="linkspider")["finished"]:
                if entry["id"] == job:
                    return entry
            time.sleep(0.2)
        raise AssertionError(f"Scrapyd job {job} did not finish in {JOB_TIMEOUT} s")

    def job_log(self, job: str) -> str:
        return (self.home / "logs" / "linkspider" / "backlinks" / f"{job}.log").read_text()


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory: pytest.TempPathFactory):
    home = tmp_path_factory.mktemp("scrapyd")
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\nbind_address = 127.0.0.1\npoll_interval = 0.2\nmax_proc = 4\n"
    )
    for attempt in range(3):  # the free port may be taken before Scrapyd binds it
        port = free_port()
        env = {**os.environ, "HOME": str(home), "SCRAPYD_HTTP_PORT": str(port)}
        env.pop("SCRAPY_SETTINGS_MODULE", None)
        with open(home / "scrapyd.log", "ab") as log:
            daemon = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=home,
                                      env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        server = Scrapyd(f"http://127.0.0.1:{port}/", home)
        deadline = time.monotonic() + 30
        while daemon.poll() is None and time.monotonic() < deadline:
            try:
                if server.get("daemonstatus.json")["status"] == "ok":
                    break
            except OSError:
                time.sleep(0.2)
        if daemon.poll() is None and time.monotonic() < deadline:
            break
        daemon.kill()
        daemon.wait()
    else:
        pytest.fail(f"Scrapyd did not start: {(home / 'scrapyd.log').read_text()[-2000:]}")
    try:
        yield server
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=15)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()


def copy_project(destination: Path) -> Path:
    """Copy the project as a user's checkout has it (no caches, no build output)."""
    destination.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for name in PROJECT_FILES:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=ignore)
        else:
            shutil.copy2(source, destination / name)
    return destination


def add_target(project: Path, server: Scrapyd, name: str = "test") -> None:
    with open(project / "scrapy.cfg", "a", encoding="utf-8") as cfg:
        cfg.write(f"\n[deploy:{name}]\nurl = {server.url}\nproject = linkspider\n")


def tool_env() -> dict[str, str]:
    """The environment of a user's shell with the project's .venv on PATH."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    return env


@pytest.fixture(scope="module")
def deployed(scrapyd: Scrapyd, tmp_path_factory: pytest.TempPathFactory) -> subprocess.CompletedProcess[str]:
    """``scrapyd-deploy test`` run in a copy of the project; the result."""
    project = copy_project(tmp_path_factory.mktemp("checkout") / "linkspider")
    add_target(project, scrapyd)
    result = subprocess.run(["scrapyd-deploy", "test", "--version", DEPLOYED], cwd=project,
                            capture_output=True, text=True, timeout=180, env=tool_env())  # fmt: skip
    assert result.returncode == 0, result.stderr + result.stdout
    return result


@pytest.fixture(scope="module")
def web():
    with LocalWebProcess(World(WORLD)) as running:
        yield running


def local_web_settings(web, out: Path, run_id: str) -> dict[str, str]:
    return {
        "LINKSPIDER_PROXY": web.proxy_url, "LINKSPIDER_ALLOW_PRIVATE_ADDRESSES": "True",
        "LINKSPIDER_OUTPUT_DIR": str(out), "LINKSPIDER_RUN_ID": run_id,
        "AUTOTHROTTLE_ENABLED": "False",
    }  # fmt: skip


@dataclass
class Job:
    """A finished Scrapyd job: its id, its listjobs.json entry, its output dir and log."""

    id: str
    entry: dict
    out: Path
    log: str


@pytest.fixture(scope="module")
def jobs(deployed, scrapyd: Scrapyd, web, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Job]:
    """Schedule one job of each kind at once (Scrapyd runs them side by side), then wait for
    all of them."""
    root = tmp_path_factory.mktemp("jobs")
    (root / "a-file").write_text("not a directory")
    seeds = World(WORLD).seeds()
    plans = {
        "good": (seeds, root / "good"),
        # Every seed unreachable: the local web knows no such site.
        "nothing-fetched": (["http://www.no-such-site.example/"], root / "nothing-fetched"),
        "unwritable": (seeds, root / "a-file" / "dataset"),  # cannot be made, even by root
        "relative": (seeds, Path("output")),
    }
    scheduled = {
        name: scrapyd.schedule(job_seeds, **local_web_settings(web, out, f"nightly-{name}"))
        for name, (job_seeds, out) in plans.items()
    }
    return {
        name: Job(job, scrapyd.wait_finished(job), plans[name][1], scrapyd.job_log(job))
        for name, job in scheduled.items()
    }


def test_scrapyd_deploy_builds_and_deploys_the_egg_from_scrapy_cfg(deployed) -> None:
    pinned = re.search(r"^setuptools==(\S+)$", (PROJECT_ROOT / "requirements-dev.txt").read_text(), re.M)
    assert pinned and metadata.version("setuptools") == pinned.group(1)  # what setup.sh installs
    answer = json.loads(deployed.stdout)
    assert answer == {**answer, "status": "ok", "project": "linkspider", "version": DEPLOYED, "spiders": 1}


def test_scheduled_job_writes_the_dataset_where_its_settings_say(jobs: dict[str, Job], scrapyd: Scrapyd) -> None:
    job = jobs["good"]
    assert "(bot: linkspider)" in job.log  # the egg's settings module was loaded
    pages = {row["url"]: row["error"] for row in read_table(job.out, "pages").to_pylist()}
    expected = {page["url"] for page in World(WORLD).ground_truth_pages()}
    refused = {url for url, error in pages.items() if error and "robots.txt" in error}
    assert set(pages) - refused == expected, job.log[-3000:]  # every page, and robots refusals
    assert read_table(job.out, "links").num_rows > 0
    assert not (scrapyd.home / "output").exists()


def test_scrapyd_job_list_shows_good_and_failed_jobs_alike(jobs: dict[str, Job]) -> None:
    # Why the run record is needed: Scrapyd lists every one of them as just "finished".
    entries = [job.entry for job in jobs.values()]
    assert all(set(entry) == set(entries[0]) and entry["end_time"] for entry in entries)


def test_run_record_tells_a_good_job_from_a_failed_one(jobs: dict[str, Job]) -> None:
    good = read_run_record(jobs["good"].out, "nightly-good")
    failed = read_run_record(jobs["nothing-fetched"].out, "nightly-nothing-fetched")
    assert good is not None and good.status == "complete", jobs["good"].log[-3000:]
    assert good.pages_ok > 0
    assert failed is not None and failed.status == "failed", jobs["nothing-fetched"].log[-3000:]
    assert failed.pages_ok == 0
    assert complete_runs(jobs["good"].out) == ["nightly-good"]
    assert complete_runs(jobs["nothing-fetched"].out) == []


def test_job_with_an_unwritable_output_dir_has_no_complete_run(jobs: dict[str, Job]) -> None:
    job = jobs["unwritable"]
    assert str(job.out) in job.log
    assert read_runs(job.out) == []  # no record, so no tool takes it for a complete run


def test_job_with_a_relative_output_dir_refuses_to_start(jobs: dict[str, Job], scrapyd: Scrapyd) -> None:
    log = jobs["relative"].log
    assert "LINKSPIDER_OUTPUT_DIR='output' is relative" in log
    assert f"daemon's working directory ({scrapyd.home / 'output'})" in log
    assert "setting=LINKSPIDER_OUTPUT_DIR=/" in log  # says what to pass
    assert not (scrapyd.home / "output").exists()


def test_linkspider_deploy_reports_the_deployed_version(scrapyd: Scrapyd, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "linkspider")
    add_target(project, scrapyd)
    result = subprocess.run([sys.executable, "-m", "linkspider", "deploy", "test", "-v", "2"],
                            cwd=project, capture_output=True, text=True, timeout=180,
                            env=tool_env())  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "deployed linkspider version 2 (1 spider(s)) to test" in result.stdout
    assert "2" in scrapyd.get("listversions.json", project="linkspider")["versions"]
    assert not (project / "build").exists() and not list(project.glob("*.egg-info"))


def test_linkspider_deploy_fails_when_scrapyd_refuses_the_egg(deployed, scrapyd: Scrapyd,
                                                              tmp_path: Path) -> None:  # fmt: skip
    project = copy_project(tmp_path / "linkspider")
    add_target(project, scrapyd)
    settings = project / "linkspider" / "settings.py"  # an egg Scrapyd cannot load
    settings.write_text(settings.read_text() + "\nraise RuntimeError('broken settings')\n")
    result = subprocess.run([sys.executable, "-m", "linkspider", "deploy", "test", "-v", "9"],
                            cwd=project, capture_output=True, text=True, timeout=180,
                            env=tool_env())  # fmt: skip
    assert result.returncode == 1
    assert "Scrapyd refused the egg" in result.stderr and "broken settings" in result.stderr
    # Scrapyd had stored it as the newest version; it is gone again, so jobs keep a good one.
    assert "version 9 was removed again" in result.stderr
    assert "9" not in scrapyd.get("listversions.json", project="linkspider")["versions"]


def test_linkspider_deploy_names_an_unknown_target(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "linkspider")
    result = subprocess.run([sys.executable, "-m", "linkspider", "deploy", "nowhere"], cwd=project,
                            capture_output=True, text=True, timeout=60, env=tool_env())  # fmt: skip
    assert result.returncode == 1
    assert "no deploy target 'nowhere'" in result.stderr and "[deploy:nowhere]" in result.stderr


def test_linkspider_deploy_refuses_an_egg_without_its_settings_entry_point(scrapyd: Scrapyd,
                                                                          tmp_path: Path) -> None:  # fmt: skip
    project = copy_project(tmp_path / "linkspider")
    add_target(project, scrapyd)
    pyproject = project / "pyproject.toml"
    text = pyproject.read_text()
    assert '[project.entry-points.scrapy]\nsettings = "linkspider.settings"\n' in text
    pyproject.write_text(text.replace('[project.entry-points.scrapy]\nsettings = "linkspider.settings"\n', ""))
    result = subprocess.run([sys.executable, "-m", "linkspider", "deploy", "test", "-p", "no-entry"],
                            cwd=project, capture_output=True, text=True, timeout=180,
                            env=tool_env())  # fmt: skip
    assert result.returncode == 1
    assert "names no settings module" in result.stderr
    assert "no-entry" not in scrapyd.get("listprojects.json")["projects"]  # nothing was uploaded
