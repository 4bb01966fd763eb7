"""Thoth's `:emoji:` table is what `hugo` writes with enableEmoji, code for code."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from tests.support.hugo_oracle import PAGE, render
from thoth.refresh_service.markup.emoji import EMOJI

pytestmark = pytest.mark.e2e


def test_every_code_renders_as_hugo_renders_it(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "content").mkdir(parents=True)
    (site / "layouts" / "_default").mkdir(parents=True)
    (site / "layouts" / "_default" / "single.html").write_text(PAGE)
    (site / "hugo.toml").write_text(
        'baseURL = "https://e.example/"\nenableEmoji = true\n'
        'disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404", "section", "home"]\n'
    )
    codes = sorted(EMOJI)
    body = "\n\n".join(f"X{i}X :{code}:" for i, code in enumerate(codes))
    (site / "content" / "emoji.md").write_text(f"---\ntitle: emoji\n---\n\n{body}\n")
    render(site, tmp_path, "https://e.example/")
    text = (tmp_path / "public" / "emoji" / "index.html").read_text()
    rendered = {int(i): html.unescape(v) for i, v in re.findall(r"X(\d+)X (.*?)</p>", text)}
    assert len(rendered) == len(codes)
    assert {codes[i]: v for i, v in rendered.items() if v != EMOJI[codes[i]]} == {}
