"""SPARQL files shipped with the packages: one query per `.rq` file, read with `importlib.resources`.

Every `.rq` loader of the project goes through here, so a query is found the same way by the library, the
API and the tests.

>>> "decisions-by-product" in query_files("kg", "queries")
True
>>> read_query("kg", "queries", "no-such-question")
Traceback (most recent call last):
...
FileNotFoundError: no SPARQL file kg/queries/no-such-question.rq
"""

from importlib import resources


def query_files(package: str, folder: str, suffix: str = ".rq") -> dict[str, str]:
    """Each `<package>/<folder>/*<suffix>` file's text by its name without `.rq`, in name order."""
    entries = sorted((resources.files(package) / folder).iterdir(), key=lambda e: e.name)
    return {e.name.removesuffix(".rq"): e.read_text(encoding="utf-8") for e in entries if e.name.endswith(suffix)}


def read_query(package: str, folder: str, name: str) -> str:
    """The text of `<package>/<folder>/<name>.rq`."""
    entry = resources.files(package) / folder / f"{name}.rq"
    if not entry.is_file():
        raise FileNotFoundError(f"no SPARQL file {package}/{folder}/{name}.rq")
    return entry.read_text(encoding="utf-8")
