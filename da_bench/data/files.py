"""Reading helpers the loaders share: ``<path> <label>`` list files, MATLAB files, label counts, finite values.

Each failure is one :class:`DataError` sentence naming the file and the fix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from da_bench.data.domains import DataError

PRINTABLE = frozenset(range(32, 127)) | {9, 10, 13}


def read_pairs(list_file: Path) -> list[tuple[str, int]]:
    """``<path> <integer label>`` per non-empty line (the path may contain spaces)."""
    pairs = []
    for number, line in enumerate(list_file.read_text().splitlines(), 1):
        parts = line.rsplit(None, 1)
        if not parts:
            continue
        try:
            pairs.append((parts[0].strip(), int(parts[1])))
        except (IndexError, ValueError):
            raise DataError(
                f"Line {number} of '{list_file}' reads '{line.strip()[:80]}', not '<image path> <integer label>'; fix or remove that line."
            ) from None
    return pairs


def refuse_non_finite(what: str, x: np.ndarray, error: type[Exception] = DataError, fix: str = "clean or drop those rows") -> None:
    """NaN or infinite rows of ``x`` stop here: ``The {what} hold NaN or infinite values in N of M rows (the first row
    K); {fix}.``"""
    bad = ~np.isfinite(x.reshape(len(x), -1)).all(axis=1)
    if bad.any():
        raise error(f"The {what} hold NaN or infinite values in {int(bad.sum())} of {len(x)} rows (the first row {int(np.argmax(bad))}); {fix}.")


def check_count(path: Path | str, labels: int, samples: int, what: str, fix: str) -> None:
    """Refuse labels that do not pair one-to-one with their samples."""
    if labels != samples:
        raise DataError(f"'{path}' has {labels} labels for {samples} {what}; {fix}.")


def refuse_text(path: Path, kind: str) -> None:
    """A binary file that is really text (a Git LFS pointer, an HTML error page) stops here."""
    with open(path, "rb") as fh:
        head = fh.read(128)
    if head and set(head) <= PRINTABLE:
        first = head.decode("ascii").strip().splitlines()[0][:60] if head.strip() else ""
        raise DataError(
            f"File '{path}' is text, not {kind} (it begins '{first}'); download the real file again (a Git LFS pointer or an HTML page is not the data)."
        )


def load_mat(path: Path, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Named arrays of a MATLAB file: v5 through scipy, v7.3 (HDF5) through h5py, which shows each
    array transposed. A missing name raises ``KeyError`` for the caller to explain."""
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError

    refuse_text(path, "a MATLAB file")
    try:
        try:
            mat = loadmat(path, variable_names=list(keys))
        except NotImplementedError:  # MATLAB v7.3
            import h5py

            with h5py.File(path, "r") as fh:
                return {k: np.asarray(fh[k]) for k in keys}
        return {k: mat[k] for k in keys}
    except (ValueError, OSError, EOFError, MatReadError) as err:
        raise DataError(f"File '{path}' is corrupt or not a MATLAB file ({err}); download it again.") from None
