"""Eleventy sites (the 18F handbook's shape): Liquid/Nunjucks tags read as the page shows them, links
resolved, Eleventy's heading ids and permalinks, and detection without and with its config."""

from __future__ import annotations

from thoth.refresh_service.chunk import markdown_blocks, page_url
from thoth.refresh_service.markup import parse_document
from thoth.refresh_service.markup.site import Site, load_site
from thoth.refresh_service.markup.sitefiles import SiteSnapshot, with_site
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.refresh_service.sources.snapshot import FileEntry, Snapshot

BASE = "https://handbook.example.gov/"
PAGE = """---
title: Leave
---

{% alert "Heads up!" %}
  Check the [leave chart]({% page "travel-and-leave/chart/#annual" %}).
{% endalert %}

Ask in {% slack_channel "people-ops" %} or {% slack_channel "hr" "the HR channel" %}.
{% image "_img/map.png" "A map of the offices" %}
{% comment %}TODO: link the policy{% endcomment %}
{% include "step-indicator.html" steps: travel.steps current_step:2 %}
{{ site.base_url }}

## Annual leave {#annual}

See [sick leave](#sick-leave) and [the guide](guide.md).

```
{% raw %}{% page "x/y" %}{% endraw %}
```

## Sick leave

## Sick leave
"""


def snapshot(files: dict[str, str], markup: str = "auto") -> SiteSnapshot:
    data = {p: t.encode() for p, t in files.items()}
    entries = {p: FileEntry(p, f"sha256:{i}", len(d)) for i, (p, d) in enumerate(data.items())}
    config = SourceConfig("e", "dir", "/x", base_url=BASE, markup=markup)
    return with_site(Snapshot("dir", None, entries, data.__getitem__), config)


def test_tags_read_as_the_published_page_with_the_lines_of_the_file() -> None:
    snap = snapshot({"travel-and-leave/leave.md": PAGE, "travel-and-leave/guide.md": "# Guide\n"})
    assert snap.site is not None and snap.site.generator == "eleventy"  # from the tags alone
    doc = parse_document("travel-and-leave/leave.md", PAGE.encode(), site=snap.site)
    text = "".join(doc.lines)
    assert "**Heads up!**" in text
    assert f"[leave chart]({BASE}travel-and-leave/chart/#annual)" in text
    assert "Ask in #people-ops or the HR channel." in text and "A map of the offices" in text
    assert "TODO" not in text and "step-indicator" not in text and "base_url" not in text
    assert '```\n{% page "x/y" %}\n```' in text  # raw: shown as written, in code too
    assert "{%" not in text.replace('{% page "x/y" %}', "") and "%}" not in text.replace('"x/y" %}', "")
    assert f"[sick leave]({BASE}travel-and-leave/leave/#sick-leave)" in text
    assert f"[the guide]({BASE}travel-and-leave/guide/)" in text
    line = next(i for i, t in enumerate(doc.lines) if t.startswith("## Annual"))
    assert doc.starts[line] == PAGE.splitlines().index("## Annual leave {#annual}") + 1


def test_eleventy_heading_ids_attributes_and_permalinks() -> None:
    snap = snapshot({"travel-and-leave/leave.md": PAGE})
    assert snap.site is not None
    doc = parse_document("travel-and-leave/leave.md", PAGE.encode(), site=snap.site)
    anchors = [b.anchor for b in markdown_blocks(list(doc.lines), snap.site) if b.heading]
    assert anchors == ["annual", "sick-leave", "sick-leave-1"]  # markdown-it-anchor de-duplicates
    site = snap.site
    assert page_url("getting-started/index.md", None, "", site, {}) == BASE + "getting-started/"
    assert page_url("a/b.md", None, "", site, {"permalink": "/elsewhere/"}) == BASE + "elsewhere/"


def test_detection_by_config_and_its_input_folder_and_markdown_turns_it_off() -> None:
    files = {".eleventy.js": 'module.exports = () => ({ dir: { input: "pages", output: "_site" } });\n'}
    data = {p: t.encode() for p, t in files.items()}
    site = load_site({p: "d" for p in data}, data.__getitem__, None, BASE)
    assert isinstance(site, Site) and site.generator == "eleventy" and site.strip_prefix == "pages/"
    assert page_url("pages/tools/slack.md", None, "", site, {}) == BASE + "tools/slack/"
    plain = snapshot({"a.md": "No templates here, `{% raw %}` in code only.\n"})
    assert plain.site is None
    off = snapshot({"travel-and-leave/leave.md": PAGE}, markup="markdown")
    assert off.site is None
