"""The GPU check's Markdown: the device, one table per section, and the grid extrapolation."""

from __future__ import annotations

TABLES = {
    "step": (
        "DANN digits step, one process (28x28; the DANN paper's network and discriminator)",
        ["batch (per domain)", "compiled", "compile mode", "steps/s", "ms/step", "images/s", "final loss", "peak MiB"],
        ["batch", "compile", "compile_mode", "steps_per_s", "ms_per_step", "images_per_s", "final_loss", "peak_memory_mb"],
    ),
    "packed": (
        "DANN digits runs packed on the device (one process and one CPU thread each, started together, same steps each)",
        ["processes", "batch (per domain)", "compiled", "aggregate steps/s", "steps/s per process"],
        ["processes", "batch", "compile", "aggregate_steps_per_s", "per_process_steps_per_s"],
    ),
    "resnet": (
        "ResNet-50, random weights",
        ["size", "batch (per domain)", "precision", "channels_last", "images/s", "ms/step", "final loss", "peak MiB"],
        ["image_size", "batch", "precision", "channels_last", "images_per_s", "ms_per_step", "final_loss", "peak_memory_mb"],
    ),
}


def cell(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(cell(v) for v in value)
    return "-" if value is None else str(value)


def table(title: str, headers: list[str], keys: list[str], rows: list[dict]) -> list[str]:
    lines = [f"## {title}", "", f"| {' | '.join(headers)} | note |", "|---" * (len(headers) + 1) + "|"]
    for r in rows:
        lines.append(f"| {' | '.join(cell(r.get(k)) for k in keys)} | {r.get('reason', '')} |")
    return lines + [""]


def extrapolation_lines(e: dict | None) -> list[str]:
    lines = [f"## The 63-run digits grid at 50,000 steps ({'extrapolated from measured throughput' if e else 'nothing measured'})", ""]
    if e:
        verdict = "meets" if e["meets_goal"] else "misses"
        lines.append(
            f"{e['grid_runs']} x {e['steps_per_run']:,} = {e['grid_runs'] * e['steps_per_run']:,} steps at the best measured aggregate "
            f"{e['steps_per_s']} steps/s ({e['from']}) = **{e['minutes']} minutes**, which {verdict} the goal of {e['goal_minutes']} minutes. "
            "Training steps only (set-up and evaluation not counted), with DANN's step standing in for the grid's other methods."
        )
    return lines + [""]


def markdown(report: dict) -> str:
    meta = report["meta"]
    lines = [
        f"# GPU check on {meta['device']}",
        "",
        f"torch {meta['torch']}, lightning {meta['lightning']}; command: `{meta['command']}`"
        + ("; --quick: tiny sizes, a smoke test, not a measurement" if meta["quick"] else ""),
        "",
    ]
    for section, (title, headers, keys) in TABLES.items():
        rows = [r for r in report["results"] if r["section"] == section]
        if rows:
            lines += table(title, headers, keys, rows)
    return "\n".join(lines + extrapolation_lines(report["extrapolation"]))
