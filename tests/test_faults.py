"""Fault injection: Ctrl-C and kill -9 at random moments, dying workers, full and read-only disks.

Each fault must end with one clear line and the right exit status, and leave nothing
corrupted: a results folder written earlier stays byte for byte as it was, and a sweep
store resumes to the sweep.csv of an uninterrupted run. The moments are drawn from a
seeded generator, so a failure can be replayed.
"""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import sim
from sim.cli.app import main
from sim.errors import SimulationError
from sim.experiment.executors import WorkerDied, as_finished
from sim.experiment.runner import execute
from sim.experiment.sweep.points import run_point
from sim.experiment.sweep.runner import sweep
from sim.model.build import simulate
from sim.output.report import FILES

ROOT = Path(__file__).resolve().parents[1]
RUN_SIM = str(ROOT / "run_sim.py")
MOMENTS = random.Random(2026)  # the random moments of every test below, reproducible

# About 1.5 s of simulation per replication: a run of 8 on two workers lasts a few seconds.
DESK = """\
name: desk
run: {horizon: 200d, warmup: 1d, replications: 8, seed: 3}
demand: {arrivals: {rate: 400/day}}
staff: {agents: {headcount: 4}}
process: [{step: answer, staff: agents, time: {dist: exponential, mean: 12min}}]
"""
# Eight points of two short replications each, about 0.3 s a point.
SWEEP = DESK.replace("200d", "20d").replace("replications: 8", "replications: 2") + (
    "sweep: {grid: {staff.agents.headcount: [4, 5, 6, 7, 8, 9, 10, 11]}}\n"
)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.fixture
def desk(tmp_path, quick_figures):
    """The desk scenario, and a results folder already holding an earlier run of it."""
    path = tmp_path / "desk.yaml"
    path.write_text(DESK)
    out = tmp_path / "out"
    quick = ["--horizon", "2d", "--replications", "2", "--workers", "1", "--quiet"]
    assert main([str(path), *quick, "--out", str(out)]) == 0
    return path, out, _files(out)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    """The sweep's scenario and the sweep.csv of an uninterrupted run of it."""
    folder = tmp_path_factory.mktemp("sweep")
    path = folder / "desk.yaml"
    path.write_text(SWEEP)
    sweep(str(path), workers=1, out=folder / "whole", progress=False, plots=False)
    return path, (folder / "whole" / "sweep.csv").read_bytes()


def _start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    """run_sim.py in a process group of its own, as a terminal starts a command."""
    return subprocess.Popen(
        [sys.executable, RUN_SIM, *args], cwd=cwd, start_new_session=True, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def _signal_after(process: subprocess.Popen[str], delay: float, sig: int, group: bool) -> float:
    """Send ``sig`` after ``delay`` s (to the whole group, as Ctrl-C does); the time sent."""
    time.sleep(delay)
    sent = time.monotonic()
    if process.poll() is None:
        (os.killpg if group else os.kill)(process.pid, sig)
    return sent


def _ended(process: subprocess.Popen[str]) -> str:
    """Wait for the command to end; kill what is left of its group (the workers of a process
    killed with -9 hold its pipes open); return what it printed on stderr."""
    process.wait(timeout=60)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    return process.communicate(timeout=60)[1]


def _no_staging_beside(out: Path) -> bool:
    return not list(out.parent.glob(f".{out.name}.*.tmp"))


# --------------------------------------------------------------------------- Ctrl-C
@pytest.mark.parametrize("delay", [MOMENTS.uniform(0.5, 1.5), MOMENTS.uniform(3.0, 5.0)])
def test_ctrl_c_stops_a_run_and_keeps_the_earlier_results(desk, delay):
    """SIGINT to the command's group while it starts or mid-run: exit 130 soon after, one
    line, the earlier results byte-identical, no temporary folder left."""
    path, out, before = desk
    # Replications of some 15 s each: waiting for the running ones would take too long.
    args = [str(path), "--horizon", "2000d", "--workers", "2", "--quiet", "--out", str(out)]
    process = _start(args, path.parent)
    sent = _signal_after(process, delay, signal.SIGINT, group=True)
    err = _ended(process)
    ended = time.monotonic() - sent
    assert process.returncode == 130, err
    assert ended < 10
    said = "interrupted: nothing was written"
    kept = f" ({out}{os.sep} is as it was)"  # once the folder was looked at
    assert err.splitlines()[-1] in (said, said + kept)
    assert _files(out) == before
    assert _no_staging_beside(out)


@pytest.mark.parametrize("delay", [MOMENTS.uniform(0.8, 3.0) for _ in range(2)])
def test_ctrl_c_stops_a_sweep_that_resumes_to_the_same_table(uninterrupted, tmp_path, delay):
    """SIGINT mid-sweep: exit 130, one line saying where the finished points are; started
    again, the sweep ends with the sweep.csv of an uninterrupted run."""
    path, whole = uninterrupted
    out = tmp_path / "out"
    process = _start(["sweep", str(path), "--workers", "2", "--quiet", "--out", str(out)], tmp_path)
    sent = _signal_after(process, delay, signal.SIGINT, group=True)
    err = _ended(process)
    ended = time.monotonic() - sent
    if process.returncode == 0:  # it finished before the signal: nothing to interrupt
        assert (out / "sweep.csv").read_bytes() == whole
        return
    assert process.returncode == 130, err
    assert ended < 10
    assert err in (
        f"interrupted: the finished points are kept in {out}{os.sep}points; "
        "run the same command again to go on\n",
        "interrupted: nothing was written\n",
    )
    sweep(str(path), workers=1, out=out, progress=False, plots=False)
    assert (out / "sweep.csv").read_bytes() == whole


# --------------------------------------------------------------------------- kill -9
@pytest.mark.parametrize("delay", [MOMENTS.uniform(0.3, 4.0) for _ in range(2)])
def test_kill_9_during_a_run_leaves_the_earlier_results_or_the_new_ones_whole(desk, delay):
    """SIGKILL to the command at any moment: the folder holds the earlier results byte for
    byte, or (if it got that far) every new file, complete; the next run tidies up."""
    path, out, before = desk
    args = [str(path), "--workers", "2", "--quiet", "--out", str(out), "--horizon", "60d"]
    process = _start(args, path.parent)
    _signal_after(process, delay, signal.SIGKILL, group=False)
    _ended(process)
    after = _files(out)
    if after != before:  # the new results were moved in: all of them, each complete
        assert set(after) == set(FILES)
        assert b'"finished": "' in after["run.json"]
        assert after["summary.csv"].startswith(b"scenario,metric,subject,mean,")
    quick = ["--horizon", "2d", "--replications", "2", "--workers", "1", "--quiet"]
    assert main([str(path), *quick, "--out", str(out)]) == 0
    assert _no_staging_beside(out)


@pytest.mark.parametrize("delay", [MOMENTS.uniform(0.8, 3.0) for _ in range(2)])
def test_kill_9_during_a_sweep_resumes_to_the_same_table(uninterrupted, tmp_path, delay):
    """SIGKILL to a sweep at any moment: started again, it ends with the uninterrupted table."""
    path, whole = uninterrupted
    out = tmp_path / "out"
    process = _start(["sweep", str(path), "--workers", "2", "--quiet", "--out", str(out)], tmp_path)
    _signal_after(process, delay, signal.SIGKILL, group=False)
    _ended(process)
    sweep(str(path), workers=1, out=out, progress=False, plots=False)
    assert (out / "sweep.csv").read_bytes() == whole
    assert not [p for p in (out / "points").iterdir() if p.name.startswith(".tmp-")]


# --------------------------------------------------------------------------- dead workers
def dies_on_replication_2(scenario, replication):
    """A replication whose worker process is killed (as by the out-of-memory killer)."""
    if replication == 2:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.3)
    return simulate(scenario, replication)


def dies_at_three_agents(scenario, replications, cache=None):
    """A sweep point whose worker process is killed."""
    if scenario.staff["agents"].headcount == 6:
        os.kill(os.getpid(), signal.SIGKILL)
    return run_point(scenario, replications, cache=cache)


def test_a_killed_worker_names_its_replication_and_how_it_died():
    """A worker killed mid-replication: the error names that replication and SIGKILL, not a
    missing __main__ guard."""
    desk = sim.loads(DESK.replace("200d", "2d"))
    tasks = [(desk, r) for r in range(4)]
    with pytest.raises(SimulationError) as caught:
        execute(dies_on_replication_2, tasks, workers=2, progress=False)
    assert str(caught.value) == (
        'scenario "desk", replication 2: the worker process running it was killed (SIGKILL): '
        "the system may have run out of memory, or someone killed it"
    )


def test_tasks_lost_with_a_dead_worker_say_so():
    """The task that ran in the dead worker comes first; others lost with it say why."""
    desk = sim.loads(DESK.replace("200d", "2d"))
    tasks = [(r, (desk, r)) for r in range(4)]
    with as_finished(dies_on_replication_2, tasks, count=4, workers=2) as finished:
        errors = [(key, future.exception()) for key, future in finished]
    lost = [(key, error) for key, error in errors if isinstance(error, WorkerDied)]
    assert lost[0][0] == 2 and lost[0][1].ran_it
    assert all(not error.ran_it for _, error in lost[1:])
    for _, error in lost[1:]:
        assert str(error).startswith("not run: a worker process was killed (SIGKILL)")


def test_a_killed_worker_in_a_sweep_fails_its_point_and_the_rerun_completes(
    uninterrupted, tmp_path, monkeypatch
):
    """A sweep whose worker is killed records that point as failed with how it died; run
    again, it completes to the uninterrupted table."""
    path, whole = uninterrupted
    out = tmp_path / "out"
    monkeypatch.setattr("sim.experiment.sweep.runner.run_point", dies_at_three_agents)
    results = sweep(str(path), workers=2, out=out, progress=False, plots=False)
    errors = dict(zip(results.failures()["point"], results.failures()["error"]))
    assert errors[2] == (
        "the worker process running it was killed (SIGKILL): the system may have run out "
        "of memory, or someone killed it"
    )
    monkeypatch.undo()
    sweep(str(path), workers=1, out=out, progress=False, plots=False)
    assert (out / "sweep.csv").read_bytes() == whole


# --------------------------------------------------------------------------- full disk
def _no_space(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_while_writing_results_leaves_the_earlier_ones(desk, monkeypatch, capsys):
    """No room for the figures: one line, exit 1, the earlier results untouched, no
    temporary folder left."""
    path, out, before = desk
    monkeypatch.setattr("sim.output.plots.save_figure", _no_space)
    quick = ["--horizon", "3d", "--replications", "2", "--workers", "1", "--quiet"]
    assert main([str(path), *quick, "--out", str(out)]) == 1
    err = capsys.readouterr().err.splitlines()[-1:]
    assert err == [
        f"error: cannot write to {out}{os.sep}: No space left on device; nothing was written "
        f"({out}{os.sep} is as it was)"
    ]
    assert _files(out) == before
    assert _no_staging_beside(out)


def test_a_full_disk_during_a_sweep_keeps_the_finished_points(
    uninterrupted, tmp_path, monkeypatch, capsys
):
    """The disk fills after two points: one line, exit 1; with room again the sweep resumes
    to the uninterrupted table."""
    path, whole = uninterrupted
    out = tmp_path / "out"
    import sim.experiment.sweep.store as store

    real, written = store.atomic_write, []

    def fills_up(target, text, **kwargs):
        if Path(target).name.startswith("point-"):
            if len(written) == 2:
                _no_space()
            written.append(target)
        real(target, text, **kwargs)

    monkeypatch.setattr(store, "atomic_write", fills_up)
    assert main(["sweep", str(path), "--workers", "1", "--quiet", "--out", str(out)]) == 1
    assert capsys.readouterr().err == (
        f"error: cannot write to {out}{os.sep}: No space left on device; the finished points "
        f"are kept in {out}{os.sep}points; run the same command again to go on\n"
    )
    monkeypatch.undo()
    assert len(list((out / "points").glob("point-*.json"))) == 2
    sweep(str(path), workers=1, out=out, progress=False, plots=False)
    assert (out / "sweep.csv").read_bytes() == whole


# --------------------------------------------------------------------------- read-only
def _read_only(*args, **kwargs):
    raise OSError(errno.EROFS, os.strerror(errno.EROFS))


def test_a_read_only_output_folder_is_refused_in_one_line(desk, monkeypatch, capsys):
    """Results that cannot be written to a read-only file system: exit 2, choose another --out."""
    path, out, before = desk
    monkeypatch.setattr(tempfile, "mkdtemp", _read_only)
    quick = ["--horizon", "3d", "--replications", "2", "--workers", "1", "--quiet"]
    assert main([str(path), *quick, "--out", str(out)]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == (
        f"--out: cannot write to {out}{os.sep}: Read-only file system; nothing was written "
        f"({out}{os.sep} is as it was); choose another --out"
    )
    assert _files(out) == before


def test_a_sweep_into_a_read_only_folder_is_refused_in_one_line(
    uninterrupted, tmp_path, monkeypatch, capsys
):
    """A sweep that cannot create its store: exit 2, one line, nothing run."""
    path, _ = uninterrupted
    out = tmp_path / "out"
    monkeypatch.setattr(os, "makedirs", _read_only)
    assert main(["sweep", str(path), "--workers", "1", "--quiet", "--out", str(out)]) == 2
    assert capsys.readouterr().err == (
        f"--out: cannot write to {out}{os.sep}: Read-only file system; nothing was written; "
        "choose another --out\n"
    )
