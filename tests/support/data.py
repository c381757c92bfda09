"""Data folders for a test's builds: chosen facts files copied into a folder of their own."""

import shutil
from pathlib import Path


def data_folder(tmp: Path, *files: Path) -> Path:
    """`tmp`/data holding copies of `files` (and nothing else, whatever it held before)."""
    folder = tmp / "data"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for path in files:
        shutil.copy(path, folder / path.name)
    return folder
