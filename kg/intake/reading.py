"""Reading an article: the checks every input passes (size, text, language) and, for HTML, the page's own
text without its boilerplate. Nothing here runs or follows anything a page contains.

A plain-text article may start with a header: its headline on the first line, then `Source: URL` and
`Published: DATE` lines. What follows is the text facts are read from.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import CTKGError

# A long article is well under this; a larger file is not one article, and the rules' time grows with the
# text, so a limit far above an article would let one input hold the command for minutes.
MAX_ARTICLE_BYTES = 256 * 1024
# Share of words that are common English function words: English prose is far above it, other languages far
# below; short texts are judged too, since a headline alone is not an article to guess from.
MIN_ENGLISH_SHARE = 0.12
MIN_WORDS = 5
_ENGLISH = frozenset("""a an the and or but of in on at to for from by with as is are was were be been has have had
it its this that which who will would not no than also after before under into over their they he she we our
""".split())
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# A text is HTML when it holds a tag of a page anywhere (a page may open with a long comment): an opening or
# closing tag of one of these elements, a doctype or a comment. Scripts are never run and their text is never
# read (trafilatura drops them).
_HTML_TAGS = ("html", "head", "body", "title", "meta", "link", "base", "style", "script", "noscript", "template",
              "iframe", "object", "embed", "svg", "p", "div", "span", "a", "br", "hr", "img", "article", "section",
              "main", "nav", "header", "footer", "aside", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li",
              "table", "tr", "td", "th", "form", "input", "button", "em", "strong", "b", "i", "blockquote", "figure")
_HTML = re.compile(r"<!doctype\s+html|<!--|<\s*/?\s*(?:" + "|".join(_HTML_TAGS) + r")(?:\s[^<>]*)?/?\s*>",
                   re.IGNORECASE)
_HEADER_SOURCE = re.compile(r"^Source:\s*(\S+)\s*$")
_HEADER_PUBLISHED = re.compile(r"^Published:\s*(.+?)\s*$")


class IntakeError(CTKGError):
    """An article cannot be read: what is wrong, and what to do."""

    def __init__(self, path: Path | str, message: str):
        super().__init__(f"{path}: {message}")
        self.path = path


@dataclass
class Article:
    """An article's text as facts are read from it. `body_start` is where the text after its header begins;
    every offset a fact carries is an offset in `text`."""

    path: str
    text: str
    body_start: int = 0
    headline: tuple[int, int] | None = None  # where the headline is, when the header gives one
    title: str | None = None
    url: str | None = None
    published_text: str | None = None  # the header's publication date, as written
    html: bool = False


def read_article(path: Path) -> Article:
    """Read and check one article (plain text or HTML); IntakeError says why it cannot be read."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise IntakeError(path, f"cannot read the file ({exc.strerror})") from None
    if path.is_dir():
        raise IntakeError(path, "is a folder, not an article; give one article's file (or --evaluate FOLDER "
                                "to score a folder of articles)")
    if size > MAX_ARTICLE_BYTES:
        raise IntakeError(path, f"the file is {size} bytes; an article is read only up to {MAX_ARTICLE_BYTES} "
                                "bytes (MAX_ARTICLE_BYTES in kg/intake/reading.py)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IntakeError(path, f"cannot read the file ({exc.strerror})") from None
    return read_bytes(data, str(path))


def read_bytes(data: bytes, path: str = "<article>") -> Article:
    """Check and read an article given as bytes."""
    if len(data) > MAX_ARTICLE_BYTES:
        raise IntakeError(path, f"the text is {len(data)} bytes; an article is read only up to "
                                f"{MAX_ARTICLE_BYTES} bytes")
    if not data.strip():
        raise IntakeError(path, "the file is empty; give an article's text")
    if b"\0" in data:
        raise IntakeError(path, "the file is binary, not text; give the article as plain text or HTML")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IntakeError(path, f"the file is not UTF-8 text (byte {exc.start}); save the article as UTF-8") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _HTML.search(text):
        article = _from_html(text, path)
    else:
        article = _from_text(text, path)
    check_language(article)
    return article


def check_language(article: Article) -> None:
    """IntakeError unless the body reads as English: rules written for English would only guess elsewhere."""
    words = [w.lower() for w in _WORD.findall(article.text[article.body_start:])]
    if len(words) < MIN_WORDS:
        raise IntakeError(article.path, f"the text has {len(words)} word(s); there is no article to read")
    share = sum(w in _ENGLISH for w in words) / len(words)
    if share < MIN_ENGLISH_SHARE:
        raise IntakeError(article.path, "the text does not read as English (too few common English words); "
                                        "intake reads English articles only and proposes nothing for this one")


def _from_text(text: str, path: str) -> Article:
    lines = text.split("\n")
    if len(lines) >= 3 and _HEADER_SOURCE.match(lines[1]) and _HEADER_PUBLISHED.match(lines[2]):
        url = _HEADER_SOURCE.match(lines[1]).group(1)
        published = _HEADER_PUBLISHED.match(lines[2]).group(1)
        title = lines[0].strip()
        if title.startswith("(") and title.endswith(")"):  # "(no headline in the stored copy)"
            title = None
        body_start = len("\n".join(lines[:3])) + 1
        # The headline is read with the text: it often states the decision itself.
        headline = (0, len(lines[0])) if title else None
        return Article(path, text, body_start=body_start, headline=headline, title=title, url=url,
                       published_text=None if published.lower() == "not shown" else published)
    return Article(path, text)


def _from_html(html: str, path: str) -> Article:
    """The page's main text, without navigation, adverts or scripts (trafilatura parses the markup; nothing is
    fetched or run), and its title and address as the page's metadata gives them."""
    import trafilatura

    # No deduplication: trafilatura's keeps a cache across calls, so a page read twice in one process would
    # come out empty the second time.
    text = trafilatura.extract(html, include_comments=False, include_tables=False, favor_precision=True,
                               with_metadata=False, deduplicate=False)
    if not text or not text.strip():
        raise IntakeError(path, "the HTML page has no article text once its navigation and scripts are removed")
    # The title and address from the page's own metadata; not its date, which would be guessed from the page
    # when the markup does not state it (give --published instead).
    meta = trafilatura.extract_metadata(html)
    title = meta.title if meta is not None else None
    url = meta.url if meta is not None else None
    body = text.strip() + "\n"
    if title:
        return Article(path, title + "\n" + body, body_start=len(title) + 1, headline=(0, len(title)), title=title,
                       url=url, html=True)
    return Article(path, body, url=url, html=True)
