"""Article intake end to end, for the command line: the graph's names and the rules loaded once, then an article
read, its facts extracted, and the draft (or the gold-schema JSON) written; the evaluation over a folder.
"""

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from ..facts import DRAFTS_DIR
from ..settings import Settings
from ..store import open_read_only
from .draft import render
from .evaluate import Scores, evaluate, propose_with
from .extract import Extraction, Extractor
from .gold import dumps, to_gold
from .linking import Names
from .reading import IntakeError, read_article

DRAFTS = Path(DRAFTS_DIR)  # under the data directory: read by no build (kg.facts.facts_files)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass
class Intake:
    names: Names
    extractor: Extractor

    @classmethod
    def from_store(cls, settings: Settings) -> "Intake":
        """Names from the current build; StoreError when there is none."""
        store, _ = open_read_only(settings.store_dir)
        try:
            names = Names.from_store(store)
        finally:
            del store
        return cls(names, Extractor(names))

    def read(self, path: Path, url: str | None = None, published: str | None = None) -> Extraction:
        """IntakeError for bad input or options."""
        check_options(path, url, published)
        article = read_article(path)
        return self.extractor.extract(article, published)

    def draft(self, x: Extraction, url: str | None = None, published: str | None = None) -> str:
        return render(x, self.names, url=url, published=published)

    def json(self, x: Extraction) -> str:
        return dumps(to_gold(x))

    def evaluate(self, folder: Path) -> Scores:
        if not folder.is_dir():
            raise IntakeError(folder, "not a folder of articles (*.txt with *.facts.json beside them)")
        scores = evaluate(folder, propose_with(self.extractor), self.names)
        if scores.files == 0:
            raise IntakeError(folder, "holds no article to score: give a folder of NAME.txt files, each with "
                                      "NAME.facts.json beside it")
        return scores


def check_options(path: Path, url: str | None, published: str | None) -> None:
    if url is not None and (urlparse(url).scheme not in ("http", "https") or not urlparse(url).netloc):
        raise IntakeError(path, f"--url {url!r}: give the article's http(s) address")
    if published is not None:
        import datetime as dt

        try:
            if not _DAY.match(published):
                raise ValueError
            dt.date.fromisoformat(published)
        except ValueError:
            raise IntakeError(path, f"--published {published!r}: give the publication date as YYYY-MM-DD") from None


def default_output(settings: Settings, article: Path, suffix: str = ".yaml") -> Path:
    return settings.data_dir / DRAFTS / (article.name.rsplit(".", 1)[0] + suffix)


def write_new(path: Path, text: str) -> None:
    """Write `text` to `path`, which must not exist yet (a draft under review is never overwritten); written
    under a temporary name and renamed, so a failure leaves nothing half-written."""
    if path.exists():
        raise IntakeError(path, "already exists; a draft may be under review: remove it or give --out")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
