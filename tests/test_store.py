"""The sweep store cannot lie (issue 13): every fault below either is refused in one line or is
repaired on --resume with a one-line notice, and no wrong row survives."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from model.analysis.results import load_results
from model.errors import HedgesimError
from model.experiments import store as store_mod
from model.experiments.design import load_experiment
from model.experiments.store import SweepStore
from model.experiments.sweep import read_runs, read_status, run_sweep
from tests.conftest import ROOT
from tests.sweepfolder import grid_design, write_sweep
from tests.test_sweep import small_experiment


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(result, *needles, code=2):
    assert result.exit_code == code, (result.exit_code, result.output, result.exception)
    out = result.output.strip()
    assert len(out.splitlines()) == 1 and "Traceback" not in out, out
    for n in needles:
        assert n in out, (n, out)
    return out


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A tiny complete sweep in several parts (3 points x 2 replications to 2016), and the
    dataset an uninterrupted sweep gives."""
    base = tmp_path_factory.mktemp("store")
    exp_file = small_experiment(base, points=3, replications=2, horizon=2016)
    report = run_sweep(load_experiment(exp_file), base / "out", executor="serial", task_runs=2)
    assert report.complete and len(SweepStore(report.folder).status_files()) >= 2
    return {"exp": exp_file, "folder": report.folder, "clean": read_runs(report.folder),
            "status": read_status(report.folder)}


def copy(made, tmp_path):
    return shutil.copytree(made["folder"], tmp_path / made["folder"].name)


def first_part(folder, kind="runs"):
    return sorted((folder / kind).glob("part-*.parquet"))[0]


def delete(path):
    path.unlink()


def truncate(path):
    path.write_bytes(path.read_bytes()[:-300])


def bit_flip(path):
    """64 bytes flipped in the middle of the file: still a readable Parquet file (the footer is
    intact), with changed values inside."""
    data = bytearray(path.read_bytes())
    mid = len(data) // 2
    for i in range(mid, mid + 64):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))


FAULTS = {"delete": delete, "truncate": truncate, "bit_flip": bit_flip}


@pytest.mark.parametrize("kind", ["runs", "status"])
@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_damaged_part_is_refused_on_read_and_rerun_on_resume(made, tmp_path, fault, kind):
    folder = copy(made, tmp_path)
    part = first_part(folder, kind)
    FAULTS[fault](part)
    # read: refused in one line, naming the part; no row of the sweep is returned
    with pytest.raises(HedgesimError, match=f"{kind}/{part.name}"):
        read_runs(folder)
    with pytest.raises(HedgesimError, match="resume"):
        load_results(folder)
    one_line_error(cli("plot", folder, "--out", tmp_path / "x.png"), part.name,
                   "expected the part this sweep committed")
    # resume: the part is moved aside, the user is told in one line, its runs are run again
    result = cli("sweep", made["exp"], "--executor", "serial", "--resume", "--out", folder)
    assert result.exit_code == 0, result.output
    notices = [line for line in result.output.splitlines() if "moved to" in line]
    assert len(notices) == 1 and part.name in notices[0] and "run again" in notices[0], \
        result.output
    assert "6 of 6 runs ok, 0 failed, 0 missing" in result.output
    moved = list((folder / "damaged").rglob(part.name))
    assert moved, "the damaged part is kept aside for inspection"
    pd.testing.assert_frame_equal(read_runs(folder), made["clean"])
    pd.testing.assert_frame_equal(read_status(folder)[["point", "replication", "seed", "status"]],
                                  made["status"][["point", "replication", "seed", "status"]])
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["state"] == "complete" and manifest["runs"]["ok"] == 6


def test_a_deleted_commit_record_is_not_silently_fewer_runs(made, tmp_path):
    folder = copy(made, tmp_path)
    record = sorted((folder / "commits").glob("part-*.json"))[0]
    record.unlink()
    one_line_error(cli("plot", folder, "--out", tmp_path / "x.png"), record.name, "missing")
    result = cli("sweep", made["exp"], "-e", "serial", "--resume", "--out", folder)
    assert result.exit_code == 0 and "moved to" in result.output, result.output
    pd.testing.assert_frame_equal(read_runs(folder), made["clean"])


def test_a_part_no_record_commits_is_ignored_and_removed(made, tmp_path):
    """A writer killed between writing a part and its commit record: the part never counts."""
    folder = copy(made, tmp_path)
    stray = folder / "runs" / "part-000099.parquet"
    shutil.copy(first_part(folder), stray)
    shutil.copy(first_part(folder, "status"), folder / "status" / stray.name)
    pd.testing.assert_frame_equal(read_runs(folder), made["clean"])  # no duplicate rows
    result = cli("sweep", made["exp"], "-e", "serial", "--resume", "--out", folder)
    assert result.exit_code == 0, result.output
    assert not stray.exists()
    pd.testing.assert_frame_equal(read_runs(folder), made["clean"])


# ------------------------------------------------------------ resume must match the scenario
@pytest.mark.parametrize("edit, field", [
    ("horizon: 2016", "horizon: 2016 -> 2017"),
    ("horizon: 2016\nlevers:\n  china: {trade_subsidy_rate: 0.3}",
     "levers.china.trade_subsidy_rate: (not set) -> 0.3"),
])
def test_resume_refuses_an_edited_scenario_and_names_the_field(made, tmp_path, edit, field):
    folder = copy(made, tmp_path)
    exp_dir = tmp_path / "exp"
    shutil.copytree(made["exp"].parent, exp_dir, ignore=shutil.ignore_patterns("out"))
    short = exp_dir / "short.yaml"
    text = short.read_text()
    short.write_text(text.replace("horizon: 2016", edit if "levers" in edit else "horizon: 2017"))
    before = sorted(p.name for p in folder.rglob("*"))
    out = one_line_error(cli("sweep", exp_dir / "exp.yaml", "-e", "serial", "--resume",
                             "--out", folder), field, "mix runs of two scenarios")
    assert "short.yaml" in out
    assert sorted(p.name for p in folder.rglob("*")) == before  # nothing written
    pd.testing.assert_frame_equal(read_runs(folder), made["clean"])


def test_resume_refuses_a_different_ensemble_file(made, tmp_path):
    folder = copy(made, tmp_path)
    m = json.loads((folder / "manifest.json").read_text())
    m["fingerprints"]["calibration"] = "posterior:" + "0" * 64
    (folder / "manifest.json").write_text(json.dumps(m))
    one_line_error(cli("sweep", made["exp"], "-e", "serial", "--resume", "--out", folder),
                   "expected the calibration that started this sweep")


def test_the_manifest_records_scenario_and_calibration_hashes(made):
    m = json.loads((made["folder"] / "manifest.json").read_text())
    assert set(m["fingerprints"]["scenarios"]) == {"short"}
    assert len(m["fingerprints"]["scenarios"]["short"]) == 64
    assert m["fingerprints"]["calibration"].startswith("posterior:")
    assert m["store"]["format"] == 2 and len(m["store"]["design_sha256"]) == 64
    assert m["store"]["parts"] == sorted(int(p.stem[5:]) for p in
                                         (made["folder"] / "commits").glob("part-*.json"))


# ------------------------------------------------------------ damaged folder files on resume
@pytest.mark.parametrize("content", ["[]", '{"kind": "sweep", "seed"'])
def test_resume_of_a_damaged_manifest_is_one_line(made, tmp_path, content):
    folder = copy(made, tmp_path)
    (folder / "manifest.json").write_text(content)
    one_line_error(cli("sweep", made["exp"], "-e", "serial", "--resume", "--out", folder),
                   "manifest.json")


def test_resume_of_a_truncated_design_is_one_line(made, tmp_path):
    folder = copy(made, tmp_path)
    truncate(folder / "design.parquet")
    one_line_error(cli("sweep", made["exp"], "-e", "serial", "--resume", "--out", folder),
                   "design.parquet")


# ------------------------------------------------------------ one writer
def test_a_second_writer_is_refused_in_one_line(made, tmp_path):
    folder = copy(made, tmp_path)
    with SweepStore(folder).lock():
        out = one_line_error(cli("sweep", made["exp"], "-e", "serial", "--resume", "--out",
                                 folder), "another hedgesim sweep is writing this folder")
    assert "writer.lock" in out
    result = cli("sweep", made["exp"], "-e", "serial", "--resume", "--out", folder)
    assert result.exit_code == 0, result.output  # the lock is released with its holder


def test_two_concurrent_resumes_leave_no_duplicate_rows(tmp_path):
    exp_file = small_experiment(tmp_path, points=3, replications=2, horizon=2016)
    folder = run_sweep(load_experiment(exp_file), tmp_path / "out", executor="serial",
                       task_runs=2).folder
    # make it partial: drop the later parts as a kill would have
    for kind, suffix in (("runs", "parquet"), ("status", "parquet"), ("commits", "json")):
        for p in sorted((folder / kind).glob(f"part-*.{suffix}"))[1:]:
            p.unlink()
    m = json.loads((folder / "manifest.json").read_text())
    m["store"]["parts"] = m["store"]["parts"][:1]
    (folder / "manifest.json").write_text(json.dumps(m))
    cmd = [sys.executable, "cli.py", "sweep", str(exp_file), "-e", "serial", "--resume",
           "--out", str(folder)]
    procs = [subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    results = [(p.wait(timeout=120), p.communicate()[1]) for p in procs]
    for code, err in results:
        assert code in (0, 2) and "Traceback" not in err, err
        if code == 2:
            assert "another hedgesim sweep is writing this folder" in err
    runs = read_runs(folder)
    assert not runs.duplicated(["point", "replication", "year"]).any()
    assert len(runs[["point", "replication"]].drop_duplicates()) == 6


def test_an_interrupted_resume_leaves_no_summary_of_fewer_runs(tmp_path, monkeypatch):
    """summary.parquet describes the runs the folder holds: a resume that is interrupted
    after committing more runs must not leave the previous session's summary behind (one
    interrupted before it commits anything leaves it as it was); the next session that
    finishes writes the summary of every run."""
    from model.experiments import sweep as sweep_mod

    exp = load_experiment(small_experiment(tmp_path, points=3, replications=2, horizon=2016))
    folder = run_sweep(exp, tmp_path / "out", executor="serial", task_runs=2).folder
    for kind, suffix in (("runs", "parquet"), ("status", "parquet"), ("commits", "json")):
        for p in sorted((folder / kind).glob(f"part-*.{suffix}"))[1:]:
            p.unlink()  # as a kill would have left it: one task of two runs committed
    (folder / "manifest.json").write_text(json.dumps(
        {**json.loads((folder / "manifest.json").read_text()), "state": "interrupted"}))
    real, calls, stop_at = sweep_mod.run_task, [], [1]

    def interrupted(units, calibration):
        calls.append(units)
        if len(calls) == stop_at[0]:
            raise KeyboardInterrupt
        return real(units, calibration)

    monkeypatch.setattr(sweep_mod, "run_task", interrupted)
    before = (folder / "summary.parquet").read_bytes()
    with pytest.raises(sweep_mod.SweepInterrupted):  # before it commits anything
        run_sweep(exp, folder, executor="serial", task_runs=2, resume=True)
    assert (folder / "summary.parquet").read_bytes() == before  # still true of the folder
    calls.clear()
    stop_at[0] = 2
    with pytest.raises(sweep_mod.SweepInterrupted):  # after committing a task of two runs
        run_sweep(exp, folder, executor="serial", task_runs=2, resume=True)
    assert len(read_runs(folder)[["point", "replication"]].drop_duplicates()) == 4
    assert not (folder / "summary.parquet").exists()
    assert not [p for p in folder.iterdir() if p.name.startswith(".summary")]
    monkeypatch.setattr(sweep_mod, "run_task", real)
    report = run_sweep(exp, folder, executor="serial", resume=True)
    assert report.complete
    pd.testing.assert_frame_equal(report.summary, sweep_mod.summarise(folder, exp),
                                  check_exact=True)
    assert set(report.summary["replications"]) == {2}


def test_two_sweeps_into_one_out_in_the_same_second(tmp_path, monkeypatch):
    monkeypatch.setattr(store_mod, "utc_stamp", lambda: "20260101T000000Z")
    exp = load_experiment(small_experiment(tmp_path, points=2, replications=1, horizon=2016))
    a = run_sweep(exp, tmp_path / "out", executor="serial")
    b = run_sweep(exp, tmp_path / "out", executor="serial")
    assert a.folder != b.folder and b.folder.name == "20260101T000000Z-2"
    assert a.complete and b.complete
    pd.testing.assert_frame_equal(read_runs(a.folder), read_runs(b.folder))


def test_two_runs_in_the_same_second_both_succeed(tmp_path, monkeypatch):
    monkeypatch.setattr(store_mod, "utc_stamp", lambda: "20260101T000000Z")
    scen = tmp_path / "tiny.yaml"
    scen.write_text("name: tiny\nhorizon: 2016\nreplications: 1\n")
    folders = []
    for _ in range(2):
        result = cli("run", scen, "--no-charts", "--out", tmp_path / "out")
        assert result.exit_code == 0, result.output
        folders.append(result.output.strip().splitlines()[-1].removeprefix("results: "))
    assert folders[0] != folders[1]
    for f in folders:
        assert (tmp_path / "out" / "tiny" / os.path.basename(f) / "runs.parquet").is_file()
    assert not [p for p in (tmp_path / "out" / "tiny").iterdir() if p.name.startswith(".")]


# ------------------------------------------------------------ errors leave an honest manifest
def test_a_full_disk_mid_sweep_is_one_line_and_the_manifest_says_failed(tmp_path, monkeypatch):
    exp_file = small_experiment(tmp_path, points=3, replications=2, horizon=2016)
    real = SweepStore.write_part
    calls = []

    def full(self, seq, runs, status):
        calls.append(seq)
        if len(calls) == 2:
            with store_mod.writing(self.folder):  # as the real writes are wrapped
                raise OSError(28, "No space left on device")
        return real(self, seq, runs, status)

    monkeypatch.setattr(SweepStore, "write_part", full)
    with pytest.raises(HedgesimError) as caught:
        run_sweep(load_experiment(exp_file), tmp_path / "out", executor="serial", task_runs=2)
    text = str(caught.value)
    assert "No space left on device" in text and "nothing already written was changed" in text
    assert "\n" not in text
    folder = next((tmp_path / "out" / "small").iterdir())
    m = json.loads((folder / "manifest.json").read_text())
    assert m["state"] == "failed" and "No space left" in m["sessions"][-1]["error"]
    assert m["runs"]["ok"] == 2  # the first part (a task of 2 runs) stayed committed
    monkeypatch.setattr(SweepStore, "write_part", real)
    again = cli("sweep", exp_file, "-e", "serial", "--resume", "--out", folder)
    assert again.exit_code == 0 and "6 of 6 runs ok" in again.output, again.output


def tiny_scenario(folder):
    """A one-replication scenario to 2016 with a two-point experiment: `run` and `sweep` both
    take it."""
    scen = folder / "tiny.yaml"
    scen.write_text("name: tiny\nhorizon: 2016\nreplications: 1\n"
                    "experiment:\n  vary: {strategy: [play_off, equidistance]}\n")
    return scen


@pytest.mark.parametrize("command", ["run", "sweep"])
def test_an_output_folder_that_cannot_be_written(tmp_path, command):
    scen = tiny_scenario(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    extra = ["-e", "serial"] if command == "sweep" else ["--no-charts"]
    one_line_error(cli(command, scen, *extra, "--out", blocker / "out"), "--out",
                   "expected a writable folder")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
@pytest.mark.parametrize("command", ["run", "sweep"])
def test_a_read_only_output_folder(tmp_path, command):
    scen = tiny_scenario(tmp_path)
    out = tmp_path / "ro"
    out.mkdir()
    out.chmod(0o555)
    try:
        extra = ["-e", "serial"] if command == "sweep" else ["--no-charts"]
        one_line_error(cli(command, scen, *extra, "--out", out), "expected a writable folder")
    finally:
        out.chmod(0o755)


# ------------------------------------------------------------ the brief counts the latest attempt
def test_a_retried_run_is_counted_once_not_as_a_failure(tmp_path):
    folder = write_sweep(tmp_path / "sweep", grid_design(["play_off"], [0.0, 0.2], [0.5]),
                         "grid", replications=2, horizon=2016, retried=((0, 1),))
    res = load_results(folder)
    assert res.total == 4 and res.failed == 0 and res.missing_note() == ""
    assert "failed" not in res.provenance()
    failing = write_sweep(tmp_path / "sweep2", grid_design(["play_off"], [0.0, 0.2], [0.5]),
                          "grid", replications=2, horizon=2016, failed=((1, 0),),
                          retried=((0, 1),))
    assert load_results(failing).missing_note().startswith("1 of 4 runs failed")


# ------------------------------------------------------------ an older store format
def test_a_format_1_folder_is_read_and_adopted_on_resume(made, tmp_path):
    folder = copy(made, tmp_path)
    shutil.rmtree(folder / "commits")
    m = json.loads((folder / "manifest.json").read_text())
    del m["store"], m["fingerprints"]
    (folder / "manifest.json").write_text(json.dumps(m))
    pd.testing.assert_frame_equal(read_runs(folder), made["clean"])
    truncate(first_part(folder))
    one_line_error(cli("plot", folder, "--out", tmp_path / "x.png"), "unreadable")
    result = cli("sweep", made["exp"], "-e", "serial", "--resume", "--out", folder)
    assert result.exit_code == 0 and "moved to" in result.output, result.output
    assert (folder / "commits").is_dir()
    pd.testing.assert_frame_equal(read_runs(folder), made["clean"])


# ------------------------------------------------------------ SIGTERM
def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:  # a zombie is not running
        return f.read().split(") ")[1][0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_sigterm_ends_a_sweep_its_workers_and_says_how_to_resume(tmp_path):
    exp_file = small_experiment(tmp_path, points=300, replications=4, firms=10000)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "cli.py", "sweep", str(exp_file), "-e", "local",
                             "-w", "2", "--out", str(out)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(out.glob("*/*/commits/part-*.json")) and time.monotonic() < deadline:
        time.sleep(0.05)
    folder = next(out.glob("*/*"))
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "--resume --out" in err and "Traceback" not in err
    m = json.loads((folder / "manifest.json").read_text())
    assert m["state"] == "interrupted"
    workers = set(read_status(folder)["pid"]) - {proc.pid}
    assert workers
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers), "worker processes outlived the sweep"


def test_sigterm_on_run_leaves_no_folder_behind(tmp_path):
    scen = tmp_path / "slow.yaml"
    scen.write_text(f"name: slow\nextends: {ROOT / 'scenarios' / 'baseline.yaml'}\n"
                    "replications: 200\nparameters:\n  firms: {count: 10000}\n")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "cli.py", "run", str(scen), "--no-charts", "--out",
                             str(out)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 60
    while not list(out.glob("slow/.*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "Traceback" not in err
    assert list((out / "slow").iterdir()) == []


def test_the_code_version_names_the_checkouts_commit_and_whether_it_was_edited(monkeypatch):
    """Every manifest records it: the commit and '-dirty' for uncommitted changes to tracked
    files; without git, the package version alone (no traceback)."""
    from model.version import __version__

    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short=12", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    edited = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert store_mod.code_version() == f"{__version__}+g{head}" + ("-dirty" if edited else "")
    monkeypatch.setenv("PATH", "")
    assert store_mod.code_version() == __version__


def test_runs_are_read_sorted_by_point_replication_and_year_copying_only_when_needed():
    """read_runs gives the runs sorted (a stable sort: rows of equal keys keep their order);
    parts read in the order of their first point are sorted already and are not copied."""
    import numpy as np
    import pyarrow as pa

    from model.experiments.store import _sorted

    inorder = pa.table({"point": [0, 0, 0, 1, 1], "replication": [0, 0, 1, 0, 0],
                        "year": [2000, 2001, 2000, 2000, 2000], "v": [1, 2, 3, 4, 5]})
    assert _sorted(inorder) is inorder  # ties (the last two rows) allowed, kept as they are
    shuffled = inorder.take([3, 2, 0, 4, 1])
    again = _sorted(shuffled)
    assert again["v"].to_pylist() == [1, 2, 3, 4, 5]
    # the year decides only between rows of the same point and replication
    later = pa.table({"point": [1, 0], "replication": [0, 5], "year": [1990, 2030], "v": [2, 1]})
    assert _sorted(later)["v"].to_pylist() == [1, 2]
    rng = np.random.default_rng(3)
    keys = {c: rng.integers(0, 3, 200) for c in ("point", "replication", "year")}
    table = pa.table({**keys, "v": np.arange(200)})
    expected = sorted(range(200), key=lambda i: (keys["point"][i], keys["replication"][i],
                                                 keys["year"][i], i))
    assert _sorted(table)["v"].to_pylist() == expected

