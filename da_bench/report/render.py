"""Tables as Markdown, LaTeX, CSV and HTML: every format carries the seed counts and the same footer."""

from __future__ import annotations

import csv
import io
from html import escape

from da_bench.report.collect import method_label
from da_bench.report.hparams import score_key
from da_bench.report.table import COMPARED, Entry, Table

DOMAINBED = "as in DomainBed (Gulrajani & Lopez-Paz, ICLR 2021)"


def plain(entry: Entry) -> str:
    if entry.mean is None:
        return entry.note or "missing"
    text = f"{entry.mean:.1f}" + (f" ± {entry.std:.1f}" if entry.std is not None else "") + f" (n={entry.n})"
    if entry.note:
        text += f" [{entry.note}]"
    if entry.reference is not None:
        text += f" / {entry.reference:.1f} [{entry.reference_tag}] ({entry.mean - entry.reference:+.1f})"
    return text


def footer(table: Table) -> list[str]:
    if table.rule == COMPARED:
        lines = [
            (
                "Columns: model selection rules (oracle = target test labels, not a valid unsupervised result). "
                "Cells: target test accuracy (%) averaged over pairs of each pair's mean over seeds, n = fewest seeds in a pair."
            )
        ]
        if table.chosen:
            lines.append(
                f"Each rule also chooses each pair's hyperparameters {DOMAINBED}: the setting whose selected points score best under it, averaged over seeds."
            )
        return lines + list(table.chosen)
    seeds = "seeds of the chosen hyperparameters" if table.chosen else "seeds"
    lines = [f"Model selection: {table.rule_label}. Cells: mean ± std of target test accuracy (%) over seeds, n = {seeds}."]
    if table.chosen:
        lines.append(
            f"Hyperparameters chosen per cell {DOMAINBED}: the setting with the best {score_key(table.rule)} at its selected points, averaged over seeds."
        )
        lines += table.chosen
    if table.has_reference:
        lines.append("After '/': the published number, [its source], and our difference from it.")
        lines += [f"[{i}] {source}" for i, source in enumerate(table.sources, 1)]
    return lines


def is_best(table: Table, col: int, entry: Entry) -> bool:
    return entry.mean is not None and entry.mean == table.best(col)


def render_md(table: Table) -> str:
    head = "| Method | " + " | ".join(table.columns) + " |"
    lines = [f"### {table.title} — selection: {table.rule_label}", "", head, "|" + "---|" * (len(table.columns) + 1)]
    for method, entries in table.rows.items():
        cells = [f"**{plain(e)}**" if is_best(table, col, e) else plain(e) for col, e in enumerate(entries)]
        lines.append(f"| {method_label(method)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\n" + "\n\n".join(footer(table)) + "\n"


LATEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}


def latex_escape(text: str) -> str:
    return "".join(LATEX_ESCAPES.get(ch, ch) for ch in text).replace("->", r"$\to$").replace("±", r"$\pm$")


def render_latex(table: Table) -> str:
    lines = [
        r"\begin{table}[t]",
        r"\centering",
        r"\caption{" + latex_escape(f"{table.title}. Selection: {table.rule_label}.") + "}",
        r"\begin{tabular}{l" + "c" * len(table.columns) + "}",
        r"\hline",
        "Method & " + " & ".join(latex_escape(c) for c in table.columns) + r" \\",
        r"\hline",
    ]
    for method, entries in table.rows.items():
        cells = [r"\textbf{" + latex_escape(plain(e)) + "}" if is_best(table, col, e) else latex_escape(plain(e)) for col, e in enumerate(entries)]
        lines.append(latex_escape(method_label(method)) + " & " + " & ".join(cells) + r" \\")
    # \par, not \\, between footer lines: a line may start with '[', which \\ would read as its optional argument
    lines += [r"\hline", r"\end{tabular}", r"\par\footnotesize " + r" \par ".join(latex_escape(line) for line in footer(table)), r"\end{table}"]
    return "\n".join(lines) + "\n"


def render_csv(table: Table) -> str:
    """One row per cell; a 'chosen' column (the cell's hyperparameters) only where several settings ran."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    chosen = any(entry.chosen for entries in table.rows.values() for entry in entries)
    writer.writerow(["method", "pair", "selection", "mean", "std", "n", "note", "reference", "reference_source", "best"] + (["chosen"] if chosen else []))
    for method, entries in table.rows.items():
        for col, entry in enumerate(entries):
            writer.writerow(
                [
                    method,
                    table.columns[col],
                    table.rule,
                    "" if entry.mean is None else f"{entry.mean:.3f}",
                    "" if entry.std is None else f"{entry.std:.3f}",
                    entry.n,
                    entry.note,
                    "" if entry.reference is None else entry.reference,
                    table.sources[entry.reference_tag - 1] if entry.reference_tag else "",
                    is_best(table, col, entry),
                ]
                + ([entry.chosen] if chosen else [])
            )
    return buf.getvalue()


def render_html(table: Table) -> str:
    rows = []
    for method, entries in table.rows.items():
        cells = "".join(f"<td><b>{escape(plain(e))}</b></td>" if is_best(table, c, e) else f"<td>{escape(plain(e))}</td>" for c, e in enumerate(entries))
        rows.append(f"<tr><th>{escape(method_label(method))}</th>{cells}</tr>")
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    return (
        f"<table>\n<caption>{escape(table.title)}, selection: {escape(table.rule_label)}</caption>\n"
        f"<tr><th>Method</th>{head}</tr>\n" + "\n".join(rows) + "\n</table>\n<p>" + "<br>".join(escape(line) for line in footer(table)) + "</p>\n"
    )


RENDERERS = {"md": render_md, "latex": render_latex, "csv": render_csv, "html": render_html}


def render(table: Table, fmt: str) -> str:
    return RENDERERS[fmt](table)
