"""Bad input gets a clear error and yields nothing; HTML is read without its boilerplate, never run or
followed; a plain-text header gives the headline, the address and the page's date."""

import pytest

from kg.intake.reading import MAX_ARTICLE_BYTES, IntakeError, read_article, read_bytes

ENGLISH = "The agency has approved the therapy for adults with lymphoma after a review of the data."


@pytest.mark.parametrize("data, says", [
    (b"", "empty"),
    (b"  \n\t\n", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ("Ceci n'est pas un article écrit en anglais : l'agence a approuvé la thérapie pour les adultes atteints de "
     "lymphome après un examen des données.".encode("latin-1"), "not UTF-8"),
    ("L’agence européenne a approuvé la thérapie pour les adultes atteints de lymphome après un examen des "
     "données cliniques de l’étude.".encode(), "does not read as English"),
    ("Die Behörde hat die Therapie für Erwachsene mit Lymphom nach einer Prüfung der Daten zugelassen, teilte "
     "das Unternehmen mit.".encode(), "does not read as English"),
    (b"Approved.", "no article"),
])
def test_bad_input_is_refused_with_the_reason(data, says):
    with pytest.raises(IntakeError, match=says):
        read_bytes(data, "x.txt")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes((ENGLISH + "\n").encode() * (MAX_ARTICLE_BYTES // len(ENGLISH) + 2))
    with pytest.raises(IntakeError, match="bytes"):
        read_article(big)


def test_a_missing_file_is_an_intake_error(tmp_path):
    with pytest.raises(IntakeError, match="cannot read"):
        read_article(tmp_path / "absent.txt")


def test_header_gives_headline_address_and_page_date():
    text = f"Agency approves therapy\nSource: https://example.org/news/1\nPublished: 30 May 2023\n\n{ENGLISH}\n"
    article = read_bytes(text.encode())
    assert article.title == "Agency approves therapy"
    assert article.url == "https://example.org/news/1"
    assert article.published_text == "30 May 2023"
    assert article.text[article.body_start:].strip() == ENGLISH
    assert article.text[slice(*article.headline)] == "Agency approves therapy"


def test_header_without_headline_or_date():
    text = f"(no headline in the stored copy)\nSource: https://example.org/2\nPublished: not shown\n\n{ENGLISH}\n"
    article = read_bytes(text.encode())
    assert article.title is None and article.headline is None and article.published_text is None


def test_html_is_read_without_boilerplate_and_without_running_or_following_anything(listener):
    outside = f"http://127.0.0.1:{listener.port}"
    html = f"""<!doctype html><html><head><title>Agency approves therapy</title>
<script src="{outside}/app.js"></script><script>fetch("{outside}/beacon"); document.write("INJECTED");</script>
<link rel="stylesheet" href="{outside}/style.css"></head>
<body><nav><a href="{outside}/">Home</a> Latest News | Subscribe</nav>
<article><h1>Agency approves therapy</h1><p>{ENGLISH} The decision followed a priority review of the
application that the company filed with the agency, which then asked for more information.</p>
<img src="{outside}/pixel.gif"><iframe src="{outside}/frame"></iframe></article>
<footer>All rights reserved. Cookie settings.</footer></body></html>"""
    article = read_bytes(html.encode(), "page.html")
    assert article.html and article.title == "Agency approves therapy"
    assert ENGLISH in article.text
    for boilerplate in ("INJECTED", "fetch", "Subscribe", "Cookie", "127.0.0.1"):
        assert boilerplate not in article.text
    assert listener.received() == 0


def test_html_with_nothing_but_scripts_is_refused():
    with pytest.raises(IntakeError):
        read_bytes(b"<html><head><script>alert(1)</script></head><body><script>x()</script></body></html>")


def test_html_after_a_long_leading_comment_is_read_as_html_without_its_scripts(read):
    comment = "<!-- " + "build notes for the page template; " * 200 + "-->\n"
    html = (comment + "<html><head><title>Agency news</title></head><body>"
            "<script>var text = 'On 4 March 2024 the NRA approved Zorvex for adults.';</script>"
            f"<article><p>{ENGLISH} The decision followed a review of the application that the company filed with "
            "the agency, which then asked for more information.</p></article></body></html>")
    assert len(comment) > 4096
    article = read_bytes(html.encode(), "page.html")
    assert article.html
    assert ENGLISH in article.text
    assert "Zorvex" not in article.text and "var text" not in article.text
    assert read(html).facts == []


@pytest.mark.parametrize("page", [
    "<section><h2>News</h2><p>{text}</p></section>",
    "<div class='story'>{text}</div><script>document.write('x')</script>",
])
def test_html_without_html_or_body_tags_is_html(page):
    article = read_bytes(page.format(text=ENGLISH * 3).encode(), "fragment.html")
    assert article.html and "document.write" not in article.text


def test_text_that_mentions_angle_brackets_is_text():
    text = f"{ENGLISH} A dose of <5 mL was given when counts were >2 and <a threshold."
    assert not read_bytes(text.encode()).html


def test_a_folder_is_refused_as_an_article(tmp_path):
    with pytest.raises(IntakeError, match="is a folder"):
        read_article(tmp_path)


def test_the_same_page_read_twice_gives_the_same_text():
    page = f"<html><body><article><p>{ENGLISH} The company filed the application with the agency.</p></article>"
    page += "</body></html>"
    assert read_bytes(page.encode()).text == read_bytes(page.encode()).text


def test_a_text_far_longer_than_any_article_is_refused(tmp_path):
    long = tmp_path / "long.txt"
    long.write_bytes((ENGLISH + "\n").encode() * (300_000 // len(ENGLISH)))
    with pytest.raises(IntakeError, match="bytes"):
        read_article(long)
