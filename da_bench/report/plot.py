"""Bar chart per benchmark: pairs on the x axis, methods as bars, std over seeds as error bars."""

from __future__ import annotations

from pathlib import Path

from da_bench.report.collect import method_label
from da_bench.report.table import Table


def bar_chart(table: Table, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    columns = table.columns if len(table.columns) > 2 else table.columns[:1]  # one pair: its Avg adds nothing
    methods = list(table.rows)
    width = 0.8 / max(1, len(methods))
    fig, ax = plt.subplots(figsize=(max(5.0, 1.6 * len(columns) + 2.5), 4.2))
    x = np.arange(len(columns))
    for i, method in enumerate(methods):
        entries = table.rows[method][: len(columns)]
        pos = x + (i - (len(methods) - 1) / 2) * width
        means = [e.mean if e.mean is not None else 0.0 for e in entries]
        bars = ax.bar(pos, means, width, yerr=[e.std or 0.0 for e in entries], capsize=2, label=method_label(method))
        for p, e in zip(pos, entries):
            if e.mean is None:  # a missing or failed cell is labelled, not drawn as zero
                ax.text(p, 1.0, e.note or "missing", rotation=90, ha="center", va="bottom", fontsize=7, color=bars.patches[0].get_facecolor())
    ax.set_xticks(x, columns)
    ax.set_ylabel("target test accuracy (%)")
    ax.set_title(f"{table.title} (selection: {table.rule_label})", fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
