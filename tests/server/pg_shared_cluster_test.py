"""tests/server/pg_shared_cluster.sh, the ctest run's PostgreSQL cluster, with a stand-in
for ctest: a copy of /bin/sh named `ctest` that runs the script's start step, then waits.

- The cluster answers, and INFO names its folder, port and owner.
- When the stand-in ctest's process group is killed with SIGKILL, its cluster stops and
  its folder goes.
- While the stand-in lives, a second run is refused and its stop step leaves the cluster.
- A cluster that cannot start writes `error=WHY` to INFO and the step still exits 0.

Run by ctest (tests/server/CMakeLists.txt) with SCOPEGATE_SOURCE_DIR.
"""

import os
import shutil
import signal
import subprocess
import time

import pytest

SOURCE_DIR = os.environ.get("SCOPEGATE_SOURCE_DIR", ".")
SCRIPT = os.path.join(SOURCE_DIR, "tests", "server", "pg_shared_cluster.sh")


def fields(info):
    with open(info) as f:
        return dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)


def eventually(predicate, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.fixture
def ctest(tmp_path):
    """A function that starts a stand-in ctest running the start step on INFO; every one
    started is killed at the end."""
    shell = tmp_path / "ctest"
    shutil.copy("/bin/sh", shell)
    started = []

    def start(info, env=None):
        # The stand-in stays the script's parent (no exec), as ctest does; in a process
        # group of its own, so that its sleep goes with it at the end.
        process = subprocess.Popen(
            [str(shell), "-c", f'sh "{SCRIPT}" start "{info}"; echo started; sleep 120'],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
            env=dict(os.environ, **(env or {})))
        started.append(process)
        for line in process.stdout:
            if line == "started\n":
                return process
        pytest.fail(process.stderr.read())

    yield start
    for process in started:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def test_the_cluster_answers_and_stops_when_its_ctest_is_killed(ctest, tmp_path):
    info = tmp_path / "cluster"
    owner = ctest(info)
    cluster = fields(info)
    assert cluster["ctest"] == str(owner.pid)
    assert "error" not in cluster
    answer = subprocess.run(
        ["psql", "-X", "-At", "-h", cluster["dir"], "-p", cluster["port"], "-U", "scopegate",
         "-d", "postgres", "-c", "SELECT 1"], capture_output=True, text=True)
    assert answer.stdout.strip() == "1", answer.stderr
    # ctest's whole process group, as a cancelled CI job is killed: the watcher, in a session
    # of its own, outlives it and stops the cluster.
    os.killpg(owner.pid, signal.SIGKILL)
    owner.wait()
    assert eventually(lambda: not os.path.exists(cluster["dir"])), cluster["dir"]


def test_a_second_run_is_refused_and_leaves_the_first_runs_cluster(ctest, tmp_path):
    info = tmp_path / "cluster"
    ctest(info)
    cluster = fields(info)
    second = subprocess.run(["sh", SCRIPT, "start", str(info)], capture_output=True, text=True)
    assert second.returncode == 1
    assert "another ctest run" in second.stderr
    stop = subprocess.run(["sh", SCRIPT, "stop", str(info)], capture_output=True, text=True)
    assert stop.returncode == 0
    assert fields(info) == cluster
    assert os.path.isdir(cluster["dir"])


def test_a_cluster_that_cannot_start_leaves_the_reason_for_the_tests(tmp_path):
    info = tmp_path / "cluster"
    result = subprocess.run(["sh", SCRIPT, "start", str(info)], capture_output=True, text=True,
                            env=dict(os.environ, SCOPEGATE_PG_BIN=str(tmp_path / "nowhere")))
    assert result.returncode == 0, result.stderr
    reason = fields(info)["error"]
    assert "PostgreSQL is not installed" in reason
    assert reason in result.stderr
