"""WikiCorpus and the markup stripper: hand-made markup with known output, the real dump."""

from __future__ import annotations

import bz2
import re
from pathlib import Path

import pytest

from embedlayer.corpus import WikiArticle, WikiCorpus, WikiStats, strip_wiki_markup, wiki_to_text
from embedlayer.errors import ConfigError, CorpusError, FormatError, MissingFileError

# --- the markup stripper: known input -> known output ---------------------------------------


@pytest.mark.parametrize(
    ("markup", "text"),
    [
        ("'''Anarchism''' is a ''political'' idea.", "Anarchism is a political idea."),
        ("A [[political philosophy]] here.", "A political philosophy here."),
        ("[[self-governance|self-governed]] societies", "self-governed societies"),
        ("[[cat]]s and [[dog]]gy", "cats and doggy"),
        ("See [[Paris (France)|]] now", "See Paris now"),
        ("Go to [[#History|the history]].", "Go to the history."),
        ("{{Infobox person|name=X|born={{birth date|1900|1|1}}}}Body text.", "Body text."),
        ("a {{outer|{{inner|{{innermost}}}}|x=[[link]]}} b", "a b"),
        ("Fact.<ref>Smith, ''Book'', {{cite|p=2}}</ref> More.", "Fact. More."),
        ('Fact.<ref name="a" /> More.<ref name=b>x</ref>', "Fact. More."),
        ("x<!-- hidden [[link]] -->y", "xy"),
        ("Keep {|\n|-\n| cell || cell\n|}\nafter", "Keep\nafter"),
        ("{| outer\n| {| inner\n| x\n|}\n|}\nText", "Text"),
        (
            "[[File:Cat.jpg|thumb|A [[cat]] on a [[mat|rug]].]]The cat sat.",
            "The cat sat.",
        ),
        ("[[Image:A.png|left|x]]Body [[Category:Cats]][[de:Katze]]", "Body"),
        ("See [http://example.org the site] and [https://x.org].", "See the site and."),
        ("== History ==\nText.\n=== Early ===\nMore.", "History\nText.\nEarly\nMore."),
        ("* one\n** two\n# three\n: indented\n; term : definition", "one\ntwo\nthree\nindented\nterm: definition"),
        ("__NOTOC__Start ----\n----\nEnd", "Start ----\nEnd"),
        ("AT&amp;T &nbsp; caf&eacute; &lt;b&gt;", "AT&T café <b>"),
        ("line<br/>break and <span style='x'>kept</span> <sup>2</sup>", "line break and kept 2"),
        ("E = mc<math>^2</math> ok", "E = mc ok"),
        ("Born (; {{IPA|x}}) in 1900 , here", "Born in 1900, here"),
    ],
)
def test_strip_markup_known_answers(markup: str, text: str) -> None:
    assert strip_wiki_markup(markup) == text


def test_unbalanced_markup_leaves_no_delimiters() -> None:
    out = strip_wiki_markup("a {{open template and [[open link and }} stray ]] end <ref>unclosed")
    for delimiter in ("{{", "}}", "[[", "]]", "<ref"):
        assert delimiter not in out
    assert out.startswith("a") and "end" in out and "unclosed" in out


# Not a timing assertion: a backtracking regex takes hours on this input, a linear stripper well
# under a second; the generous timeout only turns such a hang into a failure on any machine.
@pytest.mark.timeout(120)
def test_strip_markup_does_not_hang_on_pathological_input() -> None:
    # Inputs that make naive regexes backtrack: many unclosed openers and stray delimiters.
    nasty = (
        "{{" * 20_000 + "[[" * 20_000 + "<ref>" * 5_000 + "<!--" + "x " * 5_000
        + "[http://a " * 5_000 + "'" * 10_000 + "{|" * 10_000
    )
    out = strip_wiki_markup(nasty)
    for delimiter in ("{{", "[[", "<ref", "<!--", "{|"):
        assert delimiter not in out


# --- WikiCorpus on a hand-made dump ----------------------------------------------------------

_NS = 'xmlns="http://www.mediawiki.org/xml/export-0.10/"'


def _page(title: str, ns: int, text: str, *, redirect: str | None = None) -> str:
    red = f'<redirect title="{redirect}" />' if redirect else ""
    body = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        f"<page><title>{title}</title><ns>{ns}</ns><id>1</id>{red}<revision><id>2</id>"
        f'<text xml:space="preserve">{body}</text></revision></page>'
    )


def _dump(*pages: str) -> str:
    return f"<mediawiki {_NS}><siteinfo><sitename>W</sitename></siteinfo>{''.join(pages)}</mediawiki>"


@pytest.fixture
def small_dump(tmp_path: Path) -> Path:
    xml = _dump(
        _page("Cat", 0, "The '''cat''' is a [[mammal|small mammal]].<ref>{{cite}}</ref>\n\n== Diet ==\nMice."),
        _page("Kitty", 0, "#REDIRECT [[Cat]]", redirect="Cat"),
        _page("Talk:Cat", 1, "Discussion about the cat article, long enough to count."),
        _page("Stub", 0, "{{stub}} Tiny."),
        _page("Dog", 0, "The [[dog]] barks."),
    )
    path = tmp_path / "small.xml.bz2"
    path.write_bytes(bz2.compress(xml.encode("utf-8")))
    return path


def test_articles_skip_redirects_other_namespaces_and_short(small_dump: Path) -> None:
    corpus = WikiCorpus(small_dump, min_article_chars=12)
    assert list(corpus.articles()) == [
        WikiArticle("Cat", "The cat is a small mammal.\nDiet\nMice."),
        WikiArticle("Dog", "The dog barks."),
    ]
    assert corpus.stats == WikiStats(
        pages=5, articles=2, redirects=1, other_namespaces=1, too_short=1,
        bytes=small_dump.stat().st_size, complete=True,
    )
    # Iteration yields the texts; re-iterable.
    assert list(corpus) == list(corpus) == ["The cat is a small mammal.\nDiet\nMice.", "The dog barks."]
    assert [a.title for a in WikiCorpus(small_dump, min_article_chars=0).articles()] == [
        "Cat", "Stub", "Dog"
    ]


def test_plain_xml_dump(tmp_path: Path) -> None:
    path = tmp_path / "dump.xml"
    path.write_text(_dump(_page("A", 0, "Some [[text]] here.")), encoding="utf-8")
    assert list(WikiCorpus(path, min_article_chars=0)) == ["Some text here."]


def test_dump_errors(tmp_path: Path) -> None:
    with pytest.raises(MissingFileError, match="missing.xml"):
        WikiCorpus(tmp_path / "missing.xml")
    broken = tmp_path / "broken.xml"
    broken.write_text(f"<mediawiki {_NS}><page><title>A</title>\n<ns>0</oops>", encoding="utf-8")
    with pytest.raises(FormatError, match=r"broken\.xml.*line 2"):
        list(WikiCorpus(broken))
    no_pages = tmp_path / "nopages.xml"
    no_pages.write_text(f"<mediawiki {_NS}></mediawiki>", encoding="utf-8")
    with pytest.raises(CorpusError, match="no <page>"):
        list(WikiCorpus(no_pages))
    with pytest.raises(ConfigError, match="min_article_chars"):
        WikiCorpus(no_pages, min_article_chars=-1)


def test_wiki_to_text_writes_atomically(small_dump: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "wiki.txt"
    stats = wiki_to_text(small_dump, out, min_article_chars=0)
    assert stats.articles == 3
    assert out.read_text(encoding="utf-8") == (
        "The cat is a small mammal. Diet Mice.\nTiny.\nThe dog barks.\n"
    )
    wiki_to_text(small_dump, out, per="paragraph", min_article_chars=12)
    assert out.read_text(encoding="utf-8") == (
        "The cat is a small mammal.\nDiet\nMice.\n\nThe dog barks.\n\n"
    )
    assert sorted(p.name for p in out.parent.iterdir()) == ["wiki.txt"]  # no temp files left


# --- the real dump ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def enwiki(data_dir: Path) -> Path:
    return data_dir / "corpora/en/enwiki-sample.xml.bz2"


@pytest.fixture(scope="module")
def enwiki_articles(enwiki: Path) -> tuple[list[WikiArticle], WikiStats]:
    corpus = WikiCorpus(enwiki, min_article_chars=0)
    articles = list(corpus.articles())
    return articles, corpus.stats


def _independent_article_titles(dump: Path) -> list[str]:
    """ns-0 non-redirect page titles, by plain string search over the raw XML."""
    xml = bz2.decompress(dump.read_bytes()).decode("utf-8")
    titles = []
    for page in re.findall(r"<page>(.*?)</page>", xml, flags=re.S):
        if "<ns>0</ns>" in page and "<redirect" not in page:
            titles.append(re.search(r"<title>(.*?)</title>", page).group(1))
    return titles


@pytest.mark.slow
def test_real_dump_article_count_and_titles(enwiki: Path, enwiki_articles) -> None:
    articles, stats = enwiki_articles
    expected = _independent_article_titles(enwiki)
    assert len(expected) == 106
    assert [a.title for a in articles] == expected
    assert stats.pages == 206 and stats.redirects + stats.other_namespaces == 206 - 106
    assert stats.complete and stats.bytes == enwiki.stat().st_size


@pytest.mark.slow
def test_real_dump_text_has_no_markup_left(enwiki_articles) -> None:
    articles, _ = enwiki_articles
    for article in articles:
        for leftover in ("{{", "}}", "[[", "]]", "<ref", "{|", "|}", "<!--", "'''", "&amp;", "&nbsp;"):
            assert leftover not in article.text, (article.title, leftover)
    by_title = {a.title: a.text for a in articles}
    assert by_title["Anarchism"].startswith(
        "Anarchism is a political philosophy that advocates self-governed societies"
    )
    assert "Proudhon" in by_title["Anarchism"]
    words = set(" ".join(by_title.values()).split())
    assert {"philosophy", "Aristotle", "Alabama", "algorithm"} <= words


def test_progress_bar_in_bytes(small_dump: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("EMBEDLAYER_PROGRESS", "1")
    list(WikiCorpus(small_dump, min_article_chars=0, progress=True))
    err = capsys.readouterr().err
    assert "wiki" in err and "100%" in err and "B/s" in err
