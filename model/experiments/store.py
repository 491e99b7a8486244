"""The results store: Parquet tables plus a manifest saying what produced them.

A run folder is written under a temporary name and renamed into place only
when complete, so a folder that exists is never half-written and nothing
already in ``results/`` is touched.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

import model
from model.errors import HedgesimError

PACKAGES = ("numpy", "scipy", "pandas", "pyarrow", "mesa", "matplotlib", "pyyaml", "click",
            "dask", "distributed")
ROOT = Path(__file__).resolve().parents[2]


def code_version() -> str:
    """Package version plus the git commit (and '+dirty' for uncommitted changes)."""
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5)
        if head.returncode == 0:
            return f"{model.__version__}+g{head.stdout.strip()}" + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return model.__version__


def package_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def now_utc() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def base_manifest(kind: str, **fields: Any) -> dict:
    return {
        "kind": kind,
        "created_utc": now_utc(),
        "code_version": code_version(),
        "packages": package_versions(),
        "command": " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]),
        **fields,
    }


def new_run_dir(out_root: Path, name: str) -> Path:
    """``out_root/<name>/<UTC timestamp>``, unique even within one second."""
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = out_root / name / stamp
    n = 1
    while target.exists():
        n += 1
        target = out_root / name / f"{stamp}-{n}"
    return target


class RunWriter:
    """Write a run folder atomically: files go to a hidden temp dir, renamed on commit."""

    def __init__(self, out_root: str | Path, name: str) -> None:
        root = Path(out_root)
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise HedgesimError(str(root), "--out", f"expected a writable folder ({exc.strerror})") from None
        self.final = new_run_dir(root, name)
        self.final.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.final.name}.", dir=self.final.parent))

    def path(self, name: str) -> Path:
        return self.tmp / name

    def table(self, name: str, df: pd.DataFrame) -> None:
        df.to_parquet(self.tmp / name, index=False, compression="zstd")

    def json(self, name: str, data: dict) -> None:
        (self.tmp / name).write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")

    def commit(self) -> Path:
        os.replace(self.tmp, self.final)
        return self.final

    def abort(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)


def read_manifest(folder: str | Path) -> dict:
    path = Path(folder) / "manifest.json"
    if not path.is_file():
        raise HedgesimError(str(folder), "manifest.json", "expected a results folder written by hedgesim")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise HedgesimError(str(path), f"line {exc.lineno}", "expected valid JSON") from None
    except (UnicodeDecodeError, RecursionError, ValueError, OSError) as exc:
        raise HedgesimError(str(path), None, f"expected a JSON manifest written by hedgesim "
                            f"({type(exc).__name__})") from None
    if not isinstance(manifest, dict):
        raise HedgesimError(str(path), None, f"expected a JSON object (the manifest hedgesim "
                            f"writes), found a {type(manifest).__name__}")
    return manifest


def read_runs(folder: str | Path) -> pd.DataFrame:
    path = Path(folder) / "runs.parquet"
    if not path.is_file():
        raise HedgesimError(str(folder), "runs.parquet", "expected the run table of a hedgesim run")
    return pd.read_parquet(path)
