"""The ``da-bench`` command line: methods, datasets, download, run, sweep, table, analyze."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

from da_bench.builtins import import_builtins  # noqa: F401 - also da_bench.cli.import_builtins, as scripts and tests use it
from da_bench.registry import UnknownNameError, load_plugins


def cmd_methods(args: argparse.Namespace) -> int:
    from da_bench.methods.spec import as_spec
    from da_bench.registry import BACKBONES, LOSSES, METHODS, VALIDATORS

    print(f"{'':<10} {'name':<16} {'setting':<12} {'needs':<42} description")
    for name, entry in METHODS.items():
        spec = as_spec(name, entry)
        print(f"method     {name:<16} {spec.setting:<12} {spec.needs:<42} {spec.description}")
    for name, cls in LOSSES.items():
        print(f"loss       {name:<16} {cls.one_line()}")
    for name, fn in VALIDATORS.items():
        print(f"validator  {name:<16} {(fn.__doc__ or '').strip().splitlines()[0]}")
    print(f"backbones  {', '.join(BACKBONES.names())}")
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    from da_bench.data.domains import data_root, describe
    from da_bench.registry import DOMAINS

    root = data_root(args.data_root)
    print(f"data root: {root or '(none: set DA_BENCH_DATA or --data-root)'}")
    for name in DOMAINS.names():
        row = describe(name, args.data_root)
        status = "found  " if row["found"] else "missing"
        splits = ", ".join(f"{k} {v}" for k, v in row["splits"].items()) or "-"
        print(f"{status} {name:<22} {row['classes']:>3} classes  {splits:<24} {row['description']}")
        if not row["found"]:
            print(f"        how to obtain: {row['obtain']}")
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    from da_bench.data.domains import DataError, data_root
    from da_bench.registry import DOMAINS

    spec = DOMAINS.get(args.domain)
    root = data_root(args.data_root)
    if spec.download is None or root is None:
        raise DataError(f"Domain '{args.domain}' has no automatic download{'' if root else ' (and no data root is set)'}; obtain it from: {spec.obtain}.")
    spec.download(root)
    print(f"downloaded {args.domain} under {root}")
    return 0


def resolve_config(path: str | None, overrides: list[str], data_root: str | None) -> Any:
    from da_bench.config import deep_merge, from_dict, load_yaml, parse_overrides

    data = load_yaml(path) if path else {}
    data = deep_merge(data, parse_overrides(overrides))
    if data_root:
        data["data_root"] = data_root
    return from_dict(data)


def validate_names(cfg: Any) -> None:
    """Every registered name in a config resolves, so a bad one fails before anything runs."""
    import torch

    from da_bench.classic.spec import check_classic, is_classic, refuse_classic_keys
    from da_bench.config import ConfigError
    from da_bench.methods import backbone_arguments, loss_terms
    from da_bench.methods.build import method_class
    from da_bench.methods.hyperparameters import check_method_args
    from da_bench.registry import DOMAINS

    backbone_arguments(cfg)
    for domain in ([cfg.source] if isinstance(cfg.source, str) else cfg.source) + ([cfg.target] if cfg.target else []):
        DOMAINS.get(domain)
    if is_classic(cfg.method):
        check_classic(cfg)
        return
    refuse_classic_keys(cfg)
    loss_terms(cfg)
    check_method_args(method_class(cfg), cfg.method, cfg.method_args)
    if cfg.device == "cuda" and not torch.cuda.is_available():
        raise ConfigError("Config key 'device' is 'cuda' but no CUDA GPU is visible here; use device=auto or device=cpu.")


def print_summary(record: dict[str, Any]) -> None:
    final = record.get("final") or {}
    summary = {k: final.get(k) for k in ("step", "source_val_acc", "target_test_acc") if k in final}
    print(json.dumps({"run_id": record["run_id"], "status": record["status"], "reason": record.get("reason"), **summary}))


def cmd_run(args: argparse.Namespace) -> int:
    from da_bench.runner.execute import check_out, execute

    if args.config and "=" in args.config:
        args.overrides, args.config = [args.config, *args.overrides], None
    cfg = resolve_config(args.config, args.overrides, args.data_root)
    validate_names(cfg)
    check_out(Path(args.out))
    record = execute(cfg, Path(args.out))
    if record["status"] == "running":
        print(f"da-bench: {record['reason']}.", file=sys.stderr)
    print_summary(record)
    return 0 if record["status"] == "done" else 1


def cmd_sweep(args: argparse.Namespace) -> int:
    from da_bench.config import parse_overrides
    from da_bench.registry import LAUNCHERS
    from da_bench.runner.launchers import run_sweep
    from da_bench.runner.sweep import load_sweep, select

    LAUNCHERS.get(args.launcher)
    overrides = parse_overrides(args.overrides)
    if args.data_root:
        overrides["data_root"] = args.data_root
    sweep = load_sweep(args.sweep, overrides)
    for cfg in sweep.configs:
        validate_names(cfg)
    counts = run_sweep(
        sweep.name,
        sweep.configs,
        Path(args.out),
        args.launcher,
        args.workers,
        args.retry_failed,
        args.quiet,
        [str(Path(p).resolve()) for p in args.plugin],
        args.ray_address,
        select(sweep.configs, args.where) if args.where else None,
        per_gpu=args.per_gpu,
        resources=sweep.slurm,
    )
    print(f"sweep '{sweep.name}': {counts['done']} done, {counts['failed']} failed, {counts['running']} running elsewhere of {counts['total']}")
    if args.table:
        command = "da-bench " + " ".join(sys.argv[1:])
        write_tables(Path(args.out), args.table, sweep.name, ["source-val", "oracle"], args.reference, f"Command: `{command}` (sweep file: `{args.sweep}`).")
    return 0 if counts["failed"] == 0 else 1


def write_tables(runs: Path, dest: Path | str, title: str, rules: list[str], reference: str | None, provenance: str = "") -> None:
    """Markdown leaderboards (one per rule, each also as CSV) plus a bar chart of the first, printed and written under ``dest``."""
    from da_bench.report.leaderboard import leaderboard, publish

    dest = Path(dest)
    parts = [
        publish(
            leaderboard(runs, rule, title, Path(reference) if reference else None),
            {"md": None, "csv": dest / f"{title}_{rule}.csv"},
            dest / f"{title}.png" if rule == rules[0] else None,
        )["md"]
        for rule in rules
    ]
    text = "\n".join(parts)
    (dest / f"{title}.md").write_text(f"{provenance}\n\n{text}" if provenance else text)
    print(text)


def cmd_table(args: argparse.Namespace) -> int:
    from da_bench.report.leaderboard import leaderboard, publish

    runs = Path(args.runs_dir)
    title = args.title or runs.name + (f" ({', '.join(args.where)})" if args.where else "")
    table = leaderboard(runs, args.selection, title, Path(args.reference) if args.reference else None, args.ref_benchmark, args.ref_backbone, args.where)
    text = publish(table, {args.format: Path(args.output) if args.output else None}, Path(args.plot) if args.plot else None)[args.format]
    print(text, end="")
    return 0


def cmd_analyze(args: argparse.Namespace) -> int:
    from da_bench.analysis.run import Settings, analyze

    if args.per_domain < 5 or args.bins < 1:
        raise ValueError(f"--per-domain must be at least 5 and --bins at least 1 (got {args.per_domain} and {args.bins}); pass larger values.")
    return analyze([Path(p) for p in args.run_dirs], Settings(args.source_split, args.per_domain, args.bins, args.seed))


class OneLineParser(argparse.ArgumentParser):
    """An argument error is one sentence like every other error (argparse prints its usage first)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help').")


class UsageError(ValueError):
    """A command line that argparse cannot parse."""


def build_parser() -> argparse.ArgumentParser:
    from da_bench.report.table import FORMATS
    from da_bench.selection import selection_rules

    parser = OneLineParser(prog="da-bench", description="Domain adaptation benchmarks on PyTorch Lightning.")
    parser.add_argument("--plugin", action="append", default=[], help="Python file that registers losses, methods, backbones, domains or validators")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, fn, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text)
        p.add_argument("--plugin", action="append", default=[], help=argparse.SUPPRESS)
        p.set_defaults(fn=fn)
        return p

    add("methods", cmd_methods, "list registered methods, losses, validators and backbones")
    p = add("datasets", cmd_datasets, "list every domain: found or not under the data root, sizes, how to obtain it")
    p.add_argument("--data-root")
    p = add("download", cmd_download, "download a domain where an online source exists (torchvision, with checksums)")
    p.add_argument("domain")
    p.add_argument("--data-root")
    p = add("run", cmd_run, "run one configuration and write its record")
    p.add_argument("config", nargs="?", help="YAML run config (optional: key=value overrides alone also work)")
    p.add_argument("overrides", nargs="*", help="key=value overrides, e.g. method=dann losses.dann.width=100")
    p.add_argument("--out", default="out", help="output folder: runs go to OUT/runs/<id>/")
    p.add_argument("--data-root")
    p = add("sweep", cmd_sweep, "run a method x pair x seed x hyperparameter sweep, resuming what is unfinished")
    p.add_argument("sweep")
    p.add_argument("overrides", nargs="*")
    p.add_argument("--launcher", default="local", help="local, parallel, ray or slurm (resources from the sweep file's slurm: section)")
    p.add_argument("--workers", type=int, default=None, help="runs at once (default 1; with --per-gpu, K for each GPU)")
    p.add_argument("--per-gpu", type=int, default=None, metavar="K", help="parallel launcher: K runs share each GPU, CPU cores split among all")
    p.add_argument("--out", default="out", help="output folder: runs go to OUT/runs/<id>/, manifests to OUT/sweeps/")
    p.add_argument("--data-root")
    p.add_argument("--retry-failed", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress (a live line on a terminal, else a line per run)")
    p.add_argument("--ray-address", default=None)
    p.add_argument(
        "--where", action="append", default=[], metavar="KEY=VALUES", help="run only the runs matching key=value[,value] (repeatable), e.g. --where seed=0"
    )
    p.add_argument("--table", help="after the sweep, write leaderboards (source-val and oracle) and a bar chart into this folder")
    p.add_argument("--reference", help="CSV of published numbers to show beside ours")
    p = add("table", cmd_table, "leaderboard from a runs folder")
    p.add_argument("runs_dir")
    p.add_argument("--format", choices=FORMATS, default="md")
    p.add_argument("--selection", default="source-val", help=f"one of {', '.join(selection_rules())}, or 'all' to compare them")
    p.add_argument("--reference")
    p.add_argument("--ref-benchmark")
    p.add_argument("--ref-backbone")
    p.add_argument("--title")
    p.add_argument("--output")
    p.add_argument("--plot", help="also write a PNG bar chart here")
    p.add_argument(
        "--where", action="append", default=[], metavar="KEY=VALUES", help="only the runs matching key=value[,value] (repeatable), e.g. --where seed=0"
    )
    p = add("analyze", cmd_analyze, "t-SNE, A-distance, per-class accuracy and calibration of finished deep runs, into RUN_DIR/analysis/")
    p.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="a run folder (OUT/runs/<id>), or a run or sweep's --out folder (each finished run in it)")
    p.add_argument(
        "--source-split", choices=["val", "train"], default="val", help="source features from the held-out validation split (default) or the training split"
    )
    p.add_argument("--per-domain", type=int, default=1000, help="samples per domain for the A-distance and the t-SNE (default 1000)")
    p.add_argument("--bins", type=int, default=15, help="confidence bins of the ECE and the reliability diagram (default 15, as Guo et al. 2017)")
    p.add_argument("--seed", type=int, default=0, help="seed of the subsample, the A-distance's split and the t-SNE")
    return parser


READS_RECORDS_ONLY = {"table"}  # needs none of the built-in parts, whose import (Lightning, torchvision) takes seconds


def main(argv: list[str] | None = None) -> int:
    from da_bench.config import ConfigError
    from da_bench.data.domains import DataError

    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for i, a in enumerate(argv) if not a.startswith("-") and (i == 0 or argv[i - 1] != "--plugin")), None)
    if command not in READS_RECORDS_ONLY:
        import_builtins()
    # plugins first, so that their names are valid choices everywhere
    plugins = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--plugin"]
    try:
        load_plugins(plugins)
        parser = build_parser()
        args = parser.parse_args(argv)
        args.plugin = plugins  # wherever --plugin stood; sweeps hand them to worker processes
        return args.fn(args)
    except (ConfigError, DataError, UnknownNameError, FileNotFoundError, ValueError) as err:
        print(f"da-bench: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader stopped early (``da-bench methods | head``): end quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the interpreter's last flush would fail again
        return 141  # 128 + SIGPIPE, the shell's status for a process ended by a closed pipe


if __name__ == "__main__":
    sys.exit(main())
