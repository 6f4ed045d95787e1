"""Values from a link or an uploaded file are shown as plain text, never as Markdown or HTML.

Streamlit renders notices, captions and markdown as Markdown: an echoed `[log in](https://evil…)`
would be a live link and `![p](https://evil…/p.png)` an off-host image fetched by every viewer.
Every page runs with link and image payloads in its parameters; each text element is rendered
with a CommonMark + GFM renderer (markdown-it, linkify on) and must hold no link or image to the
payload's host, while the payload itself stays readable in the notice.
"""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from lib import ingest
from lib.i18n import plain
from tests.conftest import run_page
from tests.test_app import PAGES

EVIL = "evil.example"
PAYLOADS = [
    f"[Session expired - click to log in](https://{EVIL}/login)",
    f"![p](https://{EVIL}/p.png)",
    f"https://{EVIL}/bare",
    f"<img src=https://{EVIL}/x.png>",
    f"<a href='https://{EVIL}'>x</a>",
    f":red[**{EVIL}**] $x$ # heading",
]
PARAMS = ("areas", "start", "v", "policy", "treated", "kinds")
RENDER = MarkdownIt("gfm-like", {"linkify": True, "html": True})
TEXT_ELEMENTS = ("markdown", "caption", "warning", "info", "error", "success", "title", "header", "subheader")


def texts(at: AppTest) -> list[str]:
    out = []
    for kind in TEXT_ELEMENTS:
        out += [str(e.value) for e in getattr(at, kind)]
    return out


def live_markup(markdown: str) -> list[str]:
    """Links and images the text would render to, if any point at the payload's host."""
    rendered = RENDER.render(markdown)
    return [tag for tag in ("<a ", "<img") if tag in rendered and EVIL in rendered]


@pytest.fixture(autouse=True)
def fixture_env(fixture_data_dir, monkeypatch):
    monkeypatch.setenv("PISTAS_DATA_DIR", str(fixture_data_dir))


@pytest.mark.parametrize("payload", PAYLOADS, ids=range(len(PAYLOADS)))
@pytest.mark.parametrize("page", PAGES)
def test_link_values_are_plain_text_on_every_page(page, payload):
    at = run_page(page, dict.fromkeys(PARAMS, payload))
    assert not at.exception, at.exception
    shown = texts(at)
    bad = [(s[:120], live_markup(s)) for s in shown if live_markup(s)]
    assert not bad, bad
    # The notice still tells the user what was ignored: the value is visible as text.
    notice = " ".join(str(w.value) for w in at.warning)
    assert EVIL in RENDER.render(notice), notice[:300]


def test_the_check_can_fail_on_unescaped_text():
    """The renderer used above does turn the raw payloads into links and images."""
    assert live_markup(PAYLOADS[0]) == ["<a "]
    assert live_markup(PAYLOADS[1]) == ["<img"]
    assert live_markup(PAYLOADS[2]) == ["<a "]
    assert not any(live_markup(plain(p)) for p in PAYLOADS)


def test_upload_file_names_and_headers_are_plain_text():
    """An uploaded file's name and header cells reach the page only through its report texts."""
    name = f"[report](https://{EVIL}/a).csv"
    header = f"fecha,tipo,![p](https://{EVIL}/p.png)\n2016-01-01,seizure,1\n"
    report = ingest.load_upload(header.encode(), name)
    assert live_markup(report.summary())  # the raw summary names the file: it would be a link …
    for text in [report.summary(), *report.warnings, *report.messages(20)]:
        assert not live_markup(plain(text)), text  # … what the page shows is not
    assert EVIL in RENDER.render(plain(report.summary()))


def test_an_uploaded_file_name_is_plain_text_on_the_data_page():
    at = run_page("pages/4_Data.py")
    name = f"[report](https://{EVIL}/a).csv"
    at.file_uploader(key="upload_file").set_value((name, ingest.template_csv(), "text/csv"))
    at.run()
    assert not at.exception
    shown = [str(e.value) for e in (*at.success, *at.warning, *at.error, *at.caption)]
    assert any(EVIL in RENDER.render(s) for s in shown), "the file's name is still shown"
    assert not [s for s in shown if live_markup(s)]
