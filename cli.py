"""hedgesim command line: parses arguments and calls the library, nothing more.

User mistakes (HedgesimError) become one line on stderr and exit status 2.
"""

from __future__ import annotations

import gc
import importlib
import json
import sys
import threading
from pathlib import Path

import click

from model.errors import HedgesimError

DEFAULT_OUT = Path("results")


_COMMAND = False  # run as the hedgesim command (entry), not main() called from Python


def _model_here() -> None:
    """This command runs the model in its own process. Run as the ``hedgesim`` command, that
    process runs nothing but hedgesim, so it imports only the parts of Mesa the model uses
    (:mod:`model.mesacore`): Mesa's whole package took 0.5 s of ``hedgesim run``. Called first
    by each such command, before anything imports Mesa; ``main()`` called from Python (tests,
    a user's script) imports Mesa as usual, and so do the commands that only read results."""
    if _COMMAND:
        from model.mesacore import import_mesa_core

        import_mesa_core()


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that the same clean-up runs: a run's temporary folder is
    removed, a sweep commits what finished, marks its manifest and shuts its workers down."""


def _on_sigterm(signum, frame) -> None:
    raise Terminated()


class Group(click.Group):
    """Turns user errors into one line and exit 2; Ctrl-C into exit 130, SIGTERM 143."""

    def invoke(self, ctx: click.Context):
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _on_sigterm)
        try:
            return super().invoke(ctx)
        except HedgesimError as exc:
            click.echo(f"hedgesim: error: {exc}", err=True)
            ctx.exit(2)
        except click.UsageError as exc:  # a bad option value or unknown command: one line too
            where = exc.ctx.command_path if exc.ctx is not None else "hedgesim"
            click.echo(f"hedgesim: error: {where}: {exc.format_message()} "
                       f"(see '{where} --help')", err=True)
            ctx.exit(2)
        except KeyboardInterrupt as exc:
            click.echo("hedgesim: interrupted; nothing partial was kept.", err=True)
            ctx.exit(143 if isinstance(exc, Terminated) else 130)


POINT_ESTIMATE = click.option(
    "--point-estimate", is_flag=True,
    help="Run every replication with the single fitted parameter set "
         "(model/calibration/calibrated.yaml) instead of posterior draws: intervals then show "
         "chance only.")


YEAR = click.option(
    "--year", type=int, default=None,
    help="Year the table, chart titles and answer report (default: the horizon); checked "
         "before anything runs.")
TARGET = click.option(
    "--target", type=str, default=None,
    help="Goal as column@year>=value, e.g. \"trade_russia_usd@2020>=1e9\": drawn on the charts, "
         "and how often it is reached is reported. Its year is the default --year.")


def _import_beside(name: str) -> None:
    """Import ``name`` in a thread of its own, now: for a module a command needs only later
    (the sweep's summary needs pandas, 0.2 s to import), started where the command is about to
    wait on its workers, so the import does not add to its time."""
    threading.Thread(target=importlib.import_module, args=(name,), name=f"import {name}").start()


def _year_and_target(year: int | None, target: str | None, horizon: int,
                     first: int = 1988):
    """Check --year and --target against the years the runs will cover, before anything runs."""
    from model.analysis.results import parse_outcome
    from model.outputs import OUTPUTS

    goal = None
    if target is not None:
        goal = parse_outcome(target, OUTPUTS, default_year=year, field="--target")
        if not first <= goal.year <= horizon:
            raise HedgesimError(target, "--target", f"expected a year from {first} to the "
                                f"horizon {horizon}, got {goal.year}")
        year = goal.year if year is None else year
    if year is not None and not first <= year <= horizon:
        raise HedgesimError(None, "--year", f"expected a year from {first} to the horizon "
                            f"{horizon}, got {year}")
    return year, goal


def _target_line(goal, frame) -> str:
    """'target trade_russia_usd@2020 >= 1e+09: reached in 7 of 10 runs (70%)'."""
    import numpy as np

    rows = goal.evaluate(frame.assign(point=0) if "point" not in frame else frame)
    hit, n = int(rows["hit"].sum()), len(rows)
    return (f"target {goal.column}@{goal.year} {goal.op} {goal.threshold:g}: reached in {hit} "
            f"of {n} runs ({hit / n:.0%}); median {np.median(rows['value']):.4g}")


def _sweep_target_lines(folder: Path, goal) -> str:
    """Per strategy/scenario: the smallest swept lever value reaching the target in half the
    runs, and per point how many runs reach it."""
    from model.analysis.response import answers, point_table
    from model.analysis.results import load_results

    results = load_results(folder)
    table = point_table(results, goal.year, goal, columns=(goal.column,))
    lines = [f"target {goal.column}@{goal.year} {goal.op} {goal.threshold:g}: reached in "
             f"{int(table['target_reached'].sum())} of {int(table['replications'].sum())} runs; "
             "per point: " + ", ".join(f"{p}: {h}/{n}" for p, h, n in zip(
                 table["point"], table["target_reached"], table["replications"], strict=True))]
    if results.method == "grid":  # a sample has no grid of settings to read an answer off
        lines += [a.sentence(goal) for a in answers(results, goal)]
    return "\n".join(lines)


def _progress(total: int, label: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="run", file=sys.stderr, delay=1.0,
                dynamic_ncols=True, leave=False)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="hedgesim", message="hedgesim %(version)s")
def main() -> None:
    """hedgesim: an agent-based model of North Korea hedging between China and Russia.

    Run scenario files, sweep experiments, and turn the results into charts
    and briefings.

    \b
    Example:
      hedgesim run scenarios/baseline.yaml
    """


@main.command()
@click.argument("scenario", type=str)
@click.option("--replications", "-n", type=click.IntRange(1, 100000), default=None,
              help="Replications to run (default: the scenario's).")
@click.option("--seed", "-s", type=click.IntRange(0, 2**63 - 1), default=None,
              help="Base seed (default: the scenario's).")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_OUT,
              show_default=True, help="Folder under which results/<scenario>/<timestamp>/ is written.")
@click.option("--no-charts", is_flag=True, help="Skip the PNG charts.")
@YEAR
@TARGET
@POINT_ESTIMATE
@click.option("--yes", "-y", is_flag=True,
              help="Start even if the estimate exceeds 4 GB of memory or an hour.")
def run(scenario: str, replications: int | None, seed: int | None, out: Path,
        no_charts: bool, year: int | None, target: str | None, point_estimate: bool,
        yes: bool) -> None:
    """Run a scenario's replications and write Parquet, a manifest and charts.

    SCENARIO is a YAML file or the name of a shipped scenario. Each
    replication draws its calibrated parameters from the posterior ensemble
    (model/calibration/posterior.yaml), so the printed 90% intervals hold
    parameter uncertainty as well as chance; --point-estimate runs every
    replication with the single fitted set instead.

    \b
    Example:
      hedgesim run scenarios/russia_1bn_push.yaml --replications 50 --seed 7
      hedgesim run scenarios/russia_1bn_push.yaml --year 2020 --target "trade_russia_usd@2020>=1e9"
    """
    _model_here()
    from model.analysis import charts
    from model.ensemble import load_calibration
    from model.experiments.budget import check_budget, estimate_run
    from model.experiments.single import execute
    from model.experiments.summary import format_table
    from model.scenario import load

    sc = load(scenario)
    changes = {k: v for k, v in (("replications", replications), ("seed", seed)) if v is not None}
    if changes:
        sc = sc.with_values(**changes)
    year, goal = _year_and_target(year, target, sc.horizon)  # before any run or folder
    check_budget(estimate_run(sc), sc.path, "--replications" if replications else "replications",
                 yes)
    # the posterior is read by execute after it has checked the scenario against the history
    # (a refusal stays the only line: reading a missing or stale posterior warns)
    calibration = load_calibration("point") if point_estimate else None
    with _progress(sc.replications, sc.name) as bar:
        report = execute(sc, out, progress=bar.update,
                         charts=None if no_charts else charts.standard_charts,
                         calibration=calibration, year=year, target=goal)
    click.echo(f"{sc.name}: {sc.replications} replications, {sc.horizon - 1988 + 1} years, "
               f"seed {sc.seed}, {report.wall_seconds:.2f} s")
    click.echo(format_table(report.figures))
    if goal is not None:
        click.echo(_target_line(goal, report.frame))
    click.echo(report.note)
    if report.history_note:
        click.echo(report.history_note)
    click.echo(f"results: {report.folder}")


@main.command()
@click.argument("files", nargs=-1, required=True, type=str)
def validate(files: tuple[str, ...]) -> None:
    """Check scenario and experiment files without running them.

    Prints "ok" per valid file; the first problem in each bad file is one line.
    A scenario's experiment: section, and a standalone experiment file, are
    checked as `hedgesim sweep` checks them.
    A file whose settings change years before policy_start (the calibrated
    history) is invalid unless it declares counterfactual_history: true.
    Exit status 2 if any file is invalid.

    \b
    Example:
      hedgesim validate scenarios/*.yaml
    """
    from model.experiments.design import from_spec, is_experiment_file, load_experiment
    from model.experiments.history import guard, guard_experiment
    from model.scenario import calibrated_values, load

    calibrated = calibrated_values()
    bad = 0
    for f in files:
        try:
            if is_experiment_file(f):
                exp = load_experiment(f)
                guard_experiment(exp, calibrated)
                note = exp.history_note()
                click.echo(f"ok: {f} ({exp.name}: {exp.size} design points x "
                           f"{exp.replications} replications)" + (f"; {note}" if note else ""))
                continue
            sc = load(f)
            guard(sc, calibrated)
            if sc.experiment is not None:
                guard_experiment(from_spec(dict(sc.experiment), [sc], sc.path, sc.name), calibrated)
            note = sc.history_note()
            click.echo(f"ok: {f} ({sc.name})" + (f"; {note}" if note else ""))
        except HedgesimError as exc:
            click.echo(f"hedgesim: error: {exc}", err=True)
            bad += 1
    if bad:
        sys.exit(2)


@main.command()
def schema() -> None:
    """Print the JSON Schema of scenario files, for editors.

    \b
    Example:
      hedgesim schema > scenario.schema.json
    """
    from model.scenario import json_schema

    click.echo(json.dumps(json_schema(), indent=2))


@main.command(name="list")
@click.option("--experiments", is_flag=True,
              help="List the shipped example experiments (for `hedgesim sweep NAME`) instead.")
def list_(experiments: bool) -> None:
    """List the shipped scenarios with their one-line descriptions.

    Run one by name from any folder: `hedgesim run NAME`.

    \b
    Examples:
      hedgesim list
      hedgesim list --experiments
    """
    from model.scenario import EXPERIMENT_DIR, load, shipped

    if experiments:
        from model.experiments.design import load_experiment

        rows = [(p.stem, (load_experiment(p).description.splitlines() or [""])[0])
                for p in sorted(EXPERIMENT_DIR.glob("*.yaml"))]
    else:
        rows = [(p.stem, load(p).description) for p in shipped()]
    width = max((len(name) for name, _ in rows), default=0) + 2
    for name, description in rows:
        click.echo(f"{name:<{width}}{description}")


@main.command()
@click.option("--point", "point_fit", is_flag=True,
              help="Fit (or with --check, check) the point estimate, calibrated.yaml, by "
                   "differential evolution instead of the posterior ensemble.")
@click.option("--check", "check_only", is_flag=True,
              help="Do not fit: check the committed ensemble (or with --point, the point "
                   "estimate) and fail if a target leaves its band.")
@click.option("--population", type=click.IntRange(10, 100000), default=None,
              help="ABC particles per generation = ensemble members (default 400).")
@click.option("--generations", type=click.IntRange(1, 1000), default=None,
              help="Most ABC-SMC generations (default 30; it usually stops earlier, when "
                   "fewer than 1% of moves are accepted).")
@click.option("--max-simulations", type=click.IntRange(10, 10**8), default=None,
              help="Most loss evaluations for the posterior fit (default 120000).")
@click.option("--max-minutes", type=click.FloatRange(0.1, 10**5), default=None,
              help="Wall-time budget of the posterior fit; a generation cut short by it ends "
                   "cleanly (default 17).")
@click.option("--budget", type=click.IntRange(50, 10**7), default=None,
              help="--point: loss evaluations the optimiser may spend (default 16000: about "
                   "20-25 s on 2 idle cores).")
@click.option("--workers", "-w", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Worker processes (the posterior fit is the same for any count).")
@click.option("--seed", "-s", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True,
              help="Fit seed.")
@click.option("--replications", type=click.IntRange(1, 1000), default=None,
              help="Histories per loss evaluation (default 10 for the posterior, 6 with "
                   "--point), or per check (default 200 posterior draws / 20 point-estimate "
                   "replications).")
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder for the report (default docs/calibration/ after a fit; "
                   "with --check, write the committed calibration's report there).")
@click.option("--no-identifiability", is_flag=True,
              help="Skip the point estimate's per-parameter loss profiles in the report.")
@click.option("--to", "target", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the fit (default model/calibration/posterior.yaml, with "
                   "--point calibrated.yaml).")
@click.option("--leave-future-out", "future_out", is_flag=True,
              help="Do not touch the calibration: refit the point estimate on the figures up to "
                   "2012 only, predict 2013-2014 and write leave_future_out.md to the report "
                   "folder (--budget, default 6000: 1-3 minutes on 2 cores).")
def calibrate(point_fit, check_only, population, generations, max_simulations, max_minutes,
              budget, workers, seed, replications, report_dir, no_identifiability, target,
              future_out):
    """Fit the free parameters to the cited figures, or check the committed fit.

    By default fits the posterior ensemble by ABC-SMC with MCMC moves:
    parameter sets whose band loss is small, the ensemble every run draws
    from (model/calibration/posterior.yaml), then writes the report. --point fits the single best set by differential evolution
    (calibrated.yaml). --check runs the committed ensemble's posterior
    predictive check (one draw per run) and exits 1, naming the targets, if a
    median leaves its band or a 90% interval misses a band, except the misses
    listed with a reason under known_misses (printed as OUT, not failed).

    \b
    Example:
      hedgesim calibrate --workers 2 --seed 1        # posterior, at most 17 min + report
      hedgesim calibrate --check
      hedgesim calibrate --point --workers 2 --seed 1
    """
    _model_here()
    from model.calibration import fit as cal

    if future_out:
        _leave_future_out(budget, workers, seed, replications, report_dir)
    elif check_only:
        _calibrate_check(cal, point_fit, replications, report_dir, no_identifiability)
    elif point_fit:
        _calibrate_point(cal, budget, workers, seed, replications, report_dir,
                         no_identifiability, target)
    else:
        _calibrate_posterior(population, generations, max_simulations, max_minutes, workers,
                             seed, replications, report_dir, no_identifiability, target)


def _check_lines(table, scen) -> None:
    from model.calibration.fit import overlaps

    rows = ([(r, r.role) for r in table.itertuples()]
            + [(r, f"scenario {r.scenario}") for r in scen.itertuples()])
    for r, what in rows:
        cover = "" if overlaps(r) else "; 90% interval misses the band"
        click.echo(f"{'ok ' if r.in_band else 'OUT'} {r.id:<40} median {r.median:.4g} "
                   f"[90%: {r.p05:.4g} - {r.p95:.4g}] band [{r.band_low:.4g}, "
                   f"{r.band_high:.4g}] ({what}{cover})")


def _calibrate_check(cal, point_fit, replications, report_dir, no_identifiability) -> None:
    from model.calibration.posterior import CHECK_DRAWS, check_ensemble
    from model.calibration.report import write_report
    from model.ensemble import load_calibration

    if point_fit:
        reps = max(cal.CHECK_REPLICATIONS, replications or 0)
        table, scen = cal.check(reps), cal.check_scenarios(reps)
        _check_lines(table, scen)
        misses = cal.unexpected_misses(table, scen)
        what = f"point estimate, {reps} replications"
    else:
        reps = replications or CHECK_DRAWS
        calibration = load_calibration("posterior")
        result = check_ensemble(calibration, reps)
        table, scen = result.table, result.scenarios
        _check_lines(table, scen)
        misses = result.problems
        what = f"posterior ensemble, {reps} runs each with its own draw"
    if report_dir is not None:
        with _slow_notice("writing the calibration report"):
            report = write_report(report_dir, identifiability=not no_identifiability)
        click.echo(f"report of the committed calibration: {report}")
    if misses:
        click.echo(f"hedgesim: calibration check failed ({what}): {'; '.join(misses)}", err=True)
        sys.exit(1)
    click.echo(f"calibration check passed ({what})")


def _calibrate_point(cal, budget, workers, seed, replications, report_dir, no_identifiability,
                     target) -> None:
    from tqdm import tqdm

    from model.experiments.store import code_version
    from model.scenario import CALIBRATED

    reps = replications or cal.DEFAULT_REPLICATIONS
    total = budget or cal.DEFAULT_BUDGET
    with tqdm(total=total, desc="calibrate --point", unit="eval", file=sys.stderr) as bar:
        def progress(done, _total):
            bar.update(done - bar.n)
        result = cal.fit(total, workers=workers, seed=seed, replications=reps, callback=progress)
    path = cal.write_calibrated(result, code_version(), target or CALIBRATED)
    click.echo(f"fitted {len(result.values)} parameters: loss {result.loss:.4g} after "
               f"{result.evaluations} evaluations in {result.seconds:.0f} s -> {path}")
    _fit_report(report_dir, target, no_identifiability, point_path=path)


def _calibrate_posterior(population, generations, max_simulations, max_minutes, workers, seed,
                         replications, report_dir, no_identifiability, target) -> None:
    from model.calibration import posterior as abc
    from model.experiments.store import code_version

    def progress(gen, used):
        click.echo(f"calibrate: generation {gen.t}: epsilon {gen.epsilon:.4g}, "
                   f"{gen.simulations} evaluations (acceptance {gen.acceptance_rate:.2f}), "
                   f"{used['simulations']} in all, {used['minutes']:.1f} min", err=True)

    post = abc.fit_posterior(
        population=population or abc.DEFAULT_POPULATION,
        generations=generations or abc.DEFAULT_GENERATIONS,
        max_simulations=max_simulations or abc.DEFAULT_MAX_SIMULATIONS,
        max_minutes=max_minutes if max_minutes is not None else abc.DEFAULT_MAX_MINUTES,
        workers=workers, seed=seed, replications=replications or abc.DEFAULT_REPLICATIONS,
        progress=progress)
    path = abc.write_posterior(post, code_version(), target or abc.POSTERIOR)
    click.echo(f"posterior: {len(post.weights)} members of {len(post.params)} parameters after "
               f"{len(post.generations)} generations, final epsilon {post.final_epsilon:.4g}, "
               f"{post.evaluations} evaluations in {post.seconds / 60:.1f} min "
               f"(stopped by {post.stopped_by}) -> {path}")
    _fit_report(report_dir, target, no_identifiability, posterior_path=path)


def _fit_report(report_dir, target, no_identifiability, **fitted: Path) -> None:
    """The report after a fit (to docs/calibration/ unless --report says where); none when the
    fit went elsewhere with --to and no --report was given."""
    from model.calibration.report import write_report

    if target is not None and report_dir is None:
        return
    with _slow_notice("writing the calibration report"):
        report = write_report(report_dir or Path("docs") / "calibration",
                              identifiability=not no_identifiability, **fitted)
    click.echo(f"report: {report}")


def _leave_future_out(budget, workers, seed, replications, report_dir) -> None:
    from tqdm import tqdm

    from model.calibration import fit as cal
    from model.calibration import holdout

    total = budget or holdout.DEFAULT_BUDGET
    with tqdm(total=total, desc="leave-future-out", unit="eval", file=sys.stderr) as bar:
        def progress(done, _total):
            bar.update(done - bar.n)
        result = holdout.leave_future_out(total, workers=workers, seed=seed,
                                          replications=replications or cal.DEFAULT_REPLICATIONS,
                                          callback=progress)
    for r in result.table.itertuples():
        click.echo(f"{'ok ' if r.in_band else 'OUT'} {r.id:<40} predicted {r.median:.4g} "
                   f"band [{r.band_low:.4g}, {r.band_high:.4g}] miss {r.miss:.3g} ({r.role})")
    folder = report_dir or Path("docs") / "calibration"
    holdout.write_report(result, cal.check(cal.CHECK_REPLICATIONS), folder)
    click.echo(f"{result.in_band} of {len(result.held)} held-out figures in band "
               f"({result.seconds:.0f} s); report: {folder / 'leave_future_out.md'}")


@main.command()
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 naming the files that differ from what the code generates.")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
              default=Path(__file__).resolve().parent / "docs", show_default="docs/ of this checkout",
              help="Documentation folder: reference/ is written there and generated blocks in its "
                   "pages are refreshed.")
def docs(check: bool, out: Path) -> None:
    """Generate the reference docs from the registry, schema, outputs and targets.

    Writes reference/parameters.md, reference/scenario-file.md,
    reference/outputs.md and reference/targets.md, and refreshes every
    <!-- BEGIN GENERATED: name --> block in the other pages (e.g. ODD.md).

    \b
    Example:
      hedgesim docs --check
    """
    from model import docsgen

    def shown(p: Path) -> str:
        try:
            return str(p.resolve().relative_to(Path.cwd().resolve()))
        except ValueError:
            return str(p)

    if check:
        old = docsgen.stale(out)
        if old:
            click.echo(f"hedgesim: docs are stale: {', '.join(shown(p) for p in old)}; "
                       "run `hedgesim docs` and commit the result", err=True)
            sys.exit(1)
        click.echo(f"docs up to date: {shown(out)}")
        return
    written = docsgen.write(out)
    for p in written:
        click.echo(f"wrote {shown(p)}")
    if not written:
        click.echo(f"docs up to date: {shown(out)}")


@main.command()
@click.argument("experiment", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--workers", "-w", type=click.IntRange(1, 4096), default=None,
              help="Worker processes (default: all cores; dask: the cluster's).")
@click.option("--executor", "-e", type=click.Choice(["serial", "local", "dask"]),
              default="local", show_default=True, help="Where runs execute.")
@click.option("--scheduler", type=str, default=None,
              help="Dask scheduler address (tcp://host:8786); default: a local cluster.")
@click.option("--resume", is_flag=True,
              help="Finish an interrupted sweep: --out is then its folder.")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_OUT,
              show_default=True,
              help="Folder under which <experiment>/<timestamp>/ is written (--resume: the "
                   "sweep folder).")
@click.option("--year", "table_year", type=int, default=None,
              help="Year of the printed summary table, 1988 to the horizon (default: --target's, "
                   "else the horizon; summary.parquet keeps 2014, 2020 and the horizon, another "
                   "year is read from the runs); checked before any run.")
@TARGET
@POINT_ESTIMATE
@click.option("--yes", "-y", is_flag=True, help="Start even if the estimate exceeds an hour.")
def sweep(experiment: Path, workers: int | None, executor: str, scheduler: str | None,
          resume: bool, out: Path, table_year: int | None, target: str | None,
          point_estimate: bool, yes: bool) -> None:
    """Run a batch experiment: every design point's replications, in parallel.

    EXPERIMENT is a standalone experiment file or a scenario with an
    `experiment:` section. Results stream to a Parquet dataset; Ctrl-C keeps
    every finished run and --resume runs only what is missing. Replication r
    draws the same posterior member at every design point (common random
    numbers), so differences between points are not parameter noise.

    \b
    Example:
      hedgesim sweep scenarios/experiments/russia_subsidy_sweep.yaml --workers 4 \\
          --target "trade_russia_usd@2020>=1e9"
      hedgesim sweep EXP.yaml --resume --out results/russia_subsidy_sweep/20260101T000000Z
    """
    from model.experiments.executors import prestart

    prestart(executor)  # the workers' server imports the model while this process starts up
    if executor == "serial":
        _model_here()
    from model.ensemble import load_calibration
    from model.experiments.budget import check_budget, estimate_sweep
    from model.experiments.design import load_experiment
    from model.experiments.executors import default_workers
    from model.experiments.sweep import (
        SweepInterrupted,
        format_summary,
        missing_runs,
        run_sweep,
        summarise,
    )

    if scheduler is not None and executor != "dask":  # before any folder is made
        raise HedgesimError(None, "--scheduler", f"only applies with --executor dask, not "
                            f"--executor {executor}")
    exp = load_experiment(experiment)
    horizons = {s.horizon for s in exp.scenarios}
    _, goal = _year_and_target(None, target, min(horizons))
    if goal is not None and table_year is None and goal.year <= max(horizons):
        table_year = goal.year
    if table_year is not None and not 1988 <= table_year <= max(horizons):
        raise HedgesimError(None, "--year", f"expected a year from 1988 to the horizon "
                            f"{max(horizons)}, got {table_year}")
    estimate = estimate_sweep(exp, 1 if executor == "serial" else workers or default_workers())
    check_budget(estimate, str(experiment), "design x replications", yes)
    # the posterior is read by run_sweep after it has checked the design against the history
    # (a refusal stays the only line: reading a missing or stale posterior warns)
    calibration = load_calibration("point") if point_estimate else None
    def announce() -> None:  # after the folder is checked: a refusal stays the only line
        click.echo(f"{exp.name}: {exp.size} design points x {exp.replications} replications = "
                   f"{exp.total_runs} runs, seed {exp.seed}; {estimate.describe()}", err=True)
        _import_beside("pandas")  # for the summary, while the first tasks run

    try:
        report = run_sweep(exp, out, executor=executor, workers=workers, resume=resume,
                           scheduler=scheduler, calibration=calibration,
                           progress=lambda total, done: _progress_from(total, done, exp.name),
                           notice=lambda text: click.echo(f"hedgesim: {text}", err=True),
                           announce=announce)
    except SweepInterrupted as stop:
        click.echo(f"hedgesim: interrupted after {stop.done} of {stop.total} runs; finished runs "
                   f"are kept. Resume with:\n  hedgesim sweep {experiment} --resume --out "
                   f"{stop.folder}", err=True)
        sys.exit(143 if isinstance(stop.__context__, Terminated) else 130)
    rate = report.ok / report.wall_seconds if report.wall_seconds > 0 else 0.0
    click.echo(f"{exp.name}: {report.ok} of {report.total} runs ok, {report.failed} failed, "
               f"{report.missing} missing; {report.wall_seconds:.1f} s ({rate:.0f} runs/s)")
    if exp.size <= 30:
        years = sorted(int(y) for y in report.summary["year"].unique())
        summary = report.summary
        if table_year is not None and table_year not in years:  # read that year from the runs
            summary = summarise(report.folder, exp, also=(table_year,))
        click.echo(format_summary(summary, report.design, table_year,
                                  note=report.manifest.get("interval_note")))
    if goal is not None and report.ok:
        click.echo(_sweep_target_lines(report.folder, goal))
    if exp.history_note():
        click.echo(exp.history_note())
    click.echo(f"results: {report.folder}")
    if not report.complete:
        gaps = missing_runs(report.folder, exp)
        errors = gaps["error"].dropna()
        click.echo(f"hedgesim: {len(gaps)} runs have no result (points "
                   f"{_ranges(sorted(set(gaps['point'])))})"
                   + (f"; first error: {errors.iloc[0]}" if len(errors) else "")
                   + f". Retry them with:\n  hedgesim sweep {experiment} --resume --out "
                   f"{report.folder}", err=True)
        sys.exit(1)


@main.command()
@click.argument("results", nargs=-1, required=True, type=str)
@click.option("--kind", "-k", type=str, default="fan", show_default=True,
              help="fan, response (a sweep's outcome against its swept lever), compare, matrix, "
                   "sensitivity, discovery, or a standard run chart: trade_by_partner, "
                   "patron_costs, dependence.")
@click.option("--column", "-c", type=str, default=None,
              help="Output column for fan, response and compare (default: --target's, else "
                   "trade_russia_usd).")
@click.option("--outcome", type=str, default=None,
              help="Yes/no outcome for discovery, e.g. \"trade_russia_usd@2020 >= 1e9\" "
                   "(default: --target, else trade_russia_usd@2020 >= 1e9).")
@YEAR
@TARGET
@click.option("--metric", type=str, default="payoff", show_default=True,
              help="What the strategy matrix shows: payoff, china_share, cost_russia, cost_china.")
@click.option("--format", "-f", "fmt", type=str, default=None,
              help="png, svg or pdf (default: from --out's suffix, else png).")
@click.option("--out", "-o", type=click.Path(path_type=Path), default=None,
              help="File (or folder) to write; default <first results folder>/<kind>.<format>.")
def plot(results: tuple[str, ...], kind: str, column: str | None, outcome: str | None,
         year: int | None, target: str | None, metric: str, fmt: str | None,
         out: Path | None) -> None:
    """Draw one briefing chart from run or sweep results folders.

    fan, the standard run charts and discovery read one folder; compare puts
    several folders (or the strategies of one sweep) on the same axes; matrix
    needs a sweep over strategies x a subsidy x a sanctions lever; response a sweep
    over a lever (the outcome against it, a line per strategy or scenario); sensitivity
    a sweep with a Sobol sample; discovery a sweep that varies parameters.

    \b
    Example:
      hedgesim plot results/baseline/20260101T000000Z --kind fan --column china_share
      hedgesim plot results/russia_subsidy_sweep/20260101T000000Z --kind matrix --format svg
      hedgesim plot SWEEP --kind response --target "trade_russia_usd@2020>=1e9"
      hedgesim plot SWEEP --kind discovery --outcome "trade_russia_usd@2020 >= 1e9" --out disc.png
    """
    from model.analysis.plot import FORMATS
    from model.analysis.plot import plot as draw

    if fmt is None:
        suffix = out.suffix.lstrip(".").lower() if out is not None else ""
        fmt = suffix if suffix in FORMATS else "png"
    with _slow_notice(f"drawing the {kind} chart"):
        path = draw(results, kind=kind, fmt=fmt, out=out, column=column, outcome=outcome,
                    metric=metric, year=year, target=target)
    click.echo(str(path))


@main.command()
@click.argument("results", nargs=-1, required=True, type=str)
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for brief.md, brief.html, brief.pdf, charts/ and tables/.")
@click.option("--spec", "spec_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Brief file (YAML): title, outcomes, fan columns, compare column.")
@click.option("--outcome", "outcomes", type=str, multiple=True,
              help="Yes/no outcome for scenario discovery, e.g. \"trade_russia_usd@2020 >= 1e9\"; "
                   "repeatable, added to the spec's.")
@YEAR
@TARGET
@click.option("--no-pdf", is_flag=True, help="Skip brief.pdf.")
def brief(results: tuple[str, ...], out: Path, spec_file: Path | None, outcomes: tuple[str, ...],
          year: int | None, target: str | None, no_pdf: bool) -> None:
    """Write a briefing from run and sweep results: key figures, charts, methods, sources.

    The bottom line comes first: the question (the scenario's or experiment's
    leading comment and description), the answer with numbers and intervals,
    and the settings that differ from the baseline; then the evidence. A
    sweep's design points are not pooled: it gets a response chart and the
    per-point table. --out must be new or empty, or hold only an earlier brief,
    which is cleared first; any other folder is refused.

    brief.md (charts linked from charts/), a self-contained brief.html
    (charts embedded), brief.pdf, each chart as PNG and SVG, and the tables
    as CSV. Which charts appear depends on the results (see
    docs/how-to/make-a-brief.md).

    \b
    Example:
      hedgesim brief results/baseline/20260101T000000Z --out briefs/baseline
      hedgesim brief results/russia_subsidy_sweep/20260101T000000Z --out briefs/subsidy \\
          --target "trade_russia_usd@2020>=1e9"
    """
    from tqdm import tqdm

    from model.analysis.brief import build_brief, load_spec

    spec = load_spec(spec_file) if spec_file is not None else None
    with tqdm(desc="brief", unit="chart", file=sys.stderr, delay=1.0, leave=False,
              dynamic_ncols=True) as bar:
        made = build_brief(results, out, outcomes=outcomes, spec=spec, pdf=not no_pdf,
                           progress=lambda name: (bar.set_postfix_str(name), bar.update()),
                           year=year, target=target)
    for note in made.notes:
        click.echo(f"hedgesim: warning: {note}", err=True)
    files = [made.markdown, made.html] + ([made.pdf] if made.pdf else [])
    click.echo(f"brief: {len(made.charts)} charts; " + ", ".join(str(f) for f in files))


@main.command()
@click.argument("scenario", type=str)
@click.argument("lever", type=str)
@click.argument("target", type=str)
@click.option("--probability", "-p", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.5, show_default=True,
              help="Share of replications that must meet the target.")
@click.option("--replications", "-n", type=click.IntRange(2, 10000), default=None,
              help="Replications at every lever value (default: the scenario's).")
@click.option("--seed", "-s", type=click.IntRange(0, 2**63 - 1), default=None,
              help="Base seed (default: the scenario's).")
@click.option("--strategy", type=str, default=None,
              help="DPRK strategy from the scenario's policy_start (default: the scenario's).")
@click.option("--low", type=float, default=None, help="Lowest lever value searched "
              "(default: the registry range's).")
@click.option("--high", type=float, default=None, help="Highest lever value searched "
              "(default: the registry range's).")
@POINT_ESTIMATE
def seek(scenario: str, lever: str, target: str, probability: float, replications: int | None,
         seed: int | None, strategy: str | None, low: float | None, high: float | None,
         point_estimate: bool) -> None:
    """What would it take: the smallest LEVER value meeting TARGET in a SCENARIO.

    Runs the same replications (seeds and posterior draws: common random
    numbers) at every lever value tried and finds, with scipy's brentq, the
    smallest value at which at least --probability of them meet TARGET
    (column@year>=value). Reports it with the cost to each patron and a 90%
    interval from the replications' own crossing points, or says plainly that
    no value in the lever's range meets the target.

    \b
    Example:
      hedgesim seek baseline russia.trade_subsidy_rate "trade_russia_usd@2020>=1e9" \\
          --strategy pivot_russia
      hedgesim seek baseline russia.trade_subsidy_rate "trade_russia_usd@2020>=1e9" -p 0.9
    """
    _model_here()
    from model.analysis.results import parse_outcome
    from model.analysis.seek import seek as find
    from model.ensemble import load_calibration
    from model.outputs import OUTPUTS
    from model.scenario import load

    sc = load(scenario)
    changes = {k: v for k, v in (("replications", replications), ("seed", seed)) if v is not None}
    if strategy is not None:
        from model.strategies import STRATEGIES

        if strategy not in STRATEGIES:
            raise HedgesimError(strategy, "--strategy", f"expected one of {', '.join(STRATEGIES)}")
        changes["strategy"] = {sc.policy_start: strategy}
    if changes:
        sc = sc.with_values(**changes)
    goal = parse_outcome(target, OUTPUTS, field="TARGET")
    with _slow_notice(f"seeking {lever} for {sc.name}"):
        result = find(sc, lever, goal, probability,
                      calibration=load_calibration("point" if point_estimate else "posterior"),
                      low=low, high=high)
    for line in result.lines():
        click.echo(line)


@main.command()
@click.argument("scenario", type=str, default="baseline")
@click.option("--port", "-p", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port on 127.0.0.1 (0: any free port).")
@click.option("--save-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder \"Save as scenario\" writes to (default: the shipped scenarios/, so "
                   "the file extends baseline.yaml and `hedgesim run NAME` finds it).")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_OUT,
              show_default=True, help="Folder under which \"Make brief\" writes its run.")
@click.option("--briefs", type=click.Path(file_okay=False, path_type=Path),
              default=Path("briefs"), show_default=True,
              help="Folder under which \"Make brief\" writes briefs/NAME/.")
@POINT_ESTIMATE
def explore(scenario: str, port: int, save_dir: Path | None, out: Path, briefs: Path,
            point_estimate: bool) -> None:
    """Open an interactive page on 127.0.0.1: sliders, live charts, save, brief.

    Pick a scenario and the DPRK's strategy, move the main levers (ranges and
    units from the parameter registry), choose replications, the year asked
    and a target; the key figures against the baseline, the target line and
    the standard charts follow. "Save as scenario" writes a file that
    `hedgesim run` reproduces exactly; "Make brief" runs it and writes a
    brief. Needs the explore extra: pip install -e ".[explore]".

    \b
    Example:
      hedgesim explore                      # the baseline
      hedgesim explore russia_1bn_push --port 0
    """
    _model_here()
    from model.explore import serve

    serve(scenario, port=port, save_dir=save_dir, out=out, briefs=briefs,
          point_estimate=point_estimate, echo=lambda line: click.echo(line))


class _slow_notice:
    """One stderr line if the work inside takes more than ``after`` seconds."""

    def __init__(self, what: str, after: float = 1.0) -> None:
        import threading

        self._timer = threading.Timer(after, lambda: click.echo(f"hedgesim: {what} ...", err=True))
        self._timer.daemon = True

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()


def _progress_from(total: int, done: int, label: str):
    from tqdm import tqdm

    return tqdm(total=total, initial=done, desc=label, unit="run", file=sys.stderr,
                dynamic_ncols=True, smoothing=0.1)


def _ranges(values: list[int], limit: int = 8) -> str:
    spans: list[str] = []
    for v in values:
        if spans and "-" not in spans[-1] and int(spans[-1]) == v - 1:
            spans[-1] = f"{spans[-1]}-{v}"
        elif spans and "-" in spans[-1] and int(spans[-1].split("-")[1]) == v - 1:
            spans[-1] = f"{spans[-1].split('-')[0]}-{v}"
        else:
            spans.append(str(v))
    return ", ".join(spans[:limit]) + (", ..." if len(spans) > limit else "")


def entry() -> None:
    """The ``hedgesim`` command: :func:`main`, then an exit without the interpreter's last
    garbage collections. With the model, pandas, SciPy and Arrow loaded, those walk every
    object the imports made and took about 0.2 s of each command's exit; frozen (the objects
    are still freed and files closed as modules are torn down, and exit handlers run:
    the sweep's workers are shut down), the exit takes about 0.04 s. Objects in reference
    cycles are not finalised then: clean-up at exit must be explicit (context managers,
    exit handlers), never left to the garbage collector.

    Commands run so import only the parts of Mesa the model uses (:func:`_model_here`)."""
    global _COMMAND
    _COMMAND = True
    try:
        main(prog_name="hedgesim")
    finally:
        gc.freeze()


if __name__ == "__main__":
    entry()
