"""Hugo shortcodes and includes, HTML → text and the line map, with malformed and hostile input."""

from __future__ import annotations

import pytest

from thoth.refresh_service.markup import Site
from thoth.refresh_service.markup.budget import ParseError, unlimited
from thoth.refresh_service.markup.transform import Cleaned, clean


def site(files: dict[str, str] | None = None) -> Site:
    data = {path: text.encode() for path, text in (files or {}).items()}
    return Site(files={p: f"sha256:{i}" for i, p in enumerate(data)}, read=data.__getitem__)


def hugo(text: str, files: dict[str, str] | None = None) -> Cleaned:
    return clean(text, 1, site(files), unlimited())


def markers(text: str) -> bool:
    return "{{<" in text or "{{%" in text or ">}}" in text or "%}}" in text


def test_paired_content_shortcodes_keep_their_markdown_and_titles_lead() -> None:
    out = hugo(
        '{{% alert title="Note" color="primary" %}}\nKeep **this**.\n{{% /alert %}}\n'
        '{{< details summary="More" >}}Inner{{< /details >}}\n'
        '{{% panel header="**Important**" %}}\nPanel text.\n{{% /panel %}}\n'
    ).text
    assert out == "**Note**\nKeep **this**.\n\n**More**\n\nInner\n**Important**\nPanel text.\n\n"


def test_standalone_shortcodes_go_or_leave_their_readable_argument() -> None:
    out = hugo(
        'Ask {{< member-by-name "Ada Lovelace" >}} {{< label name="People Ops" color="#e24329" >}}.\n'
        '{{< youtube id="dQw4w9WgXcQ" >}}{{< engineering/design-document-header >}}'
        '{{< performance-indicators "kpi" >}}{{< unknown a=1 b="2" />}}[x]({{< ref "a/b.md" >}})\n'
    ).text
    assert out == "Ask Ada Lovelace People Ops.\n[x](a/b.md)\n"


@pytest.mark.parametrize(
    "text",
    [
        '{{< alert title="x" >}}\nnever closed\n',  # an open without its close
        "{{< /alert >}} a close without an open\n",
        "{{< alert \n",  # a tag without its end
        '{{< alert title="unterminated >}}\n',
        "{{%   %}} {{< >}} {{<}} {{<\n",
        "{{< a >}}{{< b >}}{{< a >}}x{{< /a >}}y{{< /b >}}z{{< /a >}}\n",  # nested and interleaved
    ],
)
def test_malformed_and_nested_shortcodes_leave_no_markers(text: str) -> None:
    out = hugo(text).text
    assert not markers(out), out


def test_nested_same_name_shortcodes_pair_inside_out() -> None:
    out = hugo('{{% tab title="A" %}}a {{% tab title="B" %}}b{{% /tab %}} c{{% /tab %}}\n').text
    assert out == "**A**\n\na **B**\n\nb c\n"


def test_shortcodes_inside_code_run_as_hugo_runs_them_and_escapes_show_as_written() -> None:
    # Hugo runs shortcodes inside code too (checked with the hugo binary): an embed's markup is not
    # text, a label is; an escaped `{{</* x */>}}` shows as `{{< x >}}`.
    text = (
        '```markdown\n{{</* alert */>}}\n{{< youtube x >}}{{< label name="Ops" >}}\n```\n'
        'Inline `{{%/* include "x.md" */%}}` and `<svg>` too.\n'
        "\n    {{< indented code >}} here\n"
    )
    out = hugo(text).text
    assert "```markdown\n{{< alert >}}\nOps\n```" in out
    assert '`{{% include "x.md" %}}`' in out and "`<svg>`" in out
    assert "     here" in out and "indented" not in out


def test_highlight_becomes_a_fenced_block_with_its_body_verbatim() -> None:
    # A shortcode nested in the body runs first, as in Hugo (an unknown one shows no text).
    out = hugo("{{< highlight bash >}}\necho <b>x</b> {{< y >}}\n{{< /highlight >}}\nafter\n").text
    assert out == "```bash\necho <b>x</b> \n```\nafter\n"


def test_includes_expand_recursively_and_track_their_digests() -> None:
    files = {
        "assets/includes/a.md": 'A says {{% include "includes/b.md" %}}\n',
        "assets/includes/b.md": "B <b>bold</b>.\n",
    }
    out = hugo('Before\n{{% include "includes/a.md" %}}\nAfter\n', files)
    assert out.text == "Before\nA says B bold.\nAfter\n"
    assert set(out.includes) == {"assets/includes/a.md", "assets/includes/b.md"}
    assert out.starts == [1, 2, 3, 4] and out.warnings == []


def test_a_missing_include_is_a_warning_and_is_remembered() -> None:
    out = hugo('x\n{{% include "includes/nope.md" %}}\ny\n')
    assert out.text == "x\n\ny\n"
    assert out.includes == {"assets/includes/nope.md": ""}
    assert "include 'includes/nope.md' not found" in out.warnings[0]


def test_an_include_cycle_is_cut_with_a_warning() -> None:
    files = {
        "assets/a.md": 'a {{% include "b.md" %}}\n',
        "assets/b.md": 'b {{% include "a.md" %}}\n',
    }
    out = hugo('{{% include "a.md" %}}\n', files)
    assert out.text.split() == ["a", "b"]
    assert any("include cycle assets/a.md → assets/b.md → assets/a.md" in w for w in out.warnings)


def test_includes_cannot_leave_assets() -> None:
    out = hugo('{{% include "../content/secret.md" %}}\n', {"content/secret.md": "secret"})
    assert "secret" not in out.text and "not found" in out.warnings[0]


def test_include_bombs_hit_the_size_budget() -> None:
    # Ten includes of ten includes ... six deep: 10**6 copies of the leaf (a billion laughs in markdown).
    files = {f"assets/{i}.md": f'{{{{% include "{i + 1}.md" %}}}}' * 10 + "\n" for i in range(6)}
    files["assets/6.md"] = "x" * 10 + "\n"
    budget = unlimited()
    budget.max_chars = 1_000_000
    with pytest.raises(ParseError, match="expands to over 1000000 characters"):
        clean('{{% include "0.md" %}}\n', 1, site(files), budget)


def test_html_is_text_and_svg_script_style_comments_are_gone() -> None:
    text = (
        '<div class="x">\n  <svg viewBox="0 0 2 2"><path d="M12 2L2 7l10 5"/><svg><g/></svg></svg>\n'
        "  <p>Kept <strong>text</strong>&nbsp;here.</p>\n</div>\n<script>var a = 1 < 2;</script>\n"
        "<style>p { color: red }</style><!-- a\ncomment -->\n<https://example.com> a < b, 3<4 <br/>end\n"
    )
    out = clean(text, 1, None, unlimited())
    assert "M12" not in out.text and "var a" not in out.text and "color" not in out.text
    assert "comment" not in out.text and "<" not in out.text.replace("<https:", "").replace(
        "< b", ""
    ).replace("3<4", "")
    assert "Kept text\u00a0here." in out.text and "<https://example.com>" in out.text
    assert out.text.splitlines()[-1] == "<https://example.com> a < b, 3<4 end"
    assert (
        out.starts[len(out.text.splitlines()) - 1] == 8
    )  # the last line still cites its own file line (the comment spanned two)


def test_unclosed_comment_and_svg_drop_the_rest_as_a_browser_would() -> None:
    assert clean("a\n<!-- never closed\nb\n", 1, None, unlimited()).text == "a\n"
    assert clean("a\n<svg><path d='x'/>\nb\n", 1, None, unlimited()).text == "a\n"


def test_a_megabyte_line_of_html_is_linear_and_leaves_only_text() -> None:
    line = '<span class="c" data-x="1">word</span><svg><path d="M0 0"/></svg>' * 16_000
    out = clean(line + "\n", 1, None, unlimited())
    assert len(line) > 1_000_000
    assert out.text.split() == ["word"] * 16_000  # an <svg> separates words, a <span> does not


def test_line_map_cites_file_lines_across_dropped_and_inserted_text() -> None:
    text = 'l1\n<!--\n\n-->\nl5\n{{% include "i.md" %}}\nl7\n'
    out = hugo(text, {"assets/i.md": "i1\ni2\n"})
    lines = out.text.splitlines()
    assert lines == ["l1", "", "l5", "i1", "i2", "l7"]
    assert list(zip(out.starts, out.ends, strict=False))[: len(lines)] == [
        (1, 1), (2, 4), (5, 5), (6, 6), (6, 6), (7, 7)
    ]  # fmt: skip


def test_markdown_sources_leave_shortcodes_alone() -> None:
    assert (
        clean("{{< alert >}}x{{< /alert >}}\n", 1, None, unlimited()).text == "{{< alert >}}x{{< /alert >}}\n"
    )


def test_unicode_line_separators_are_not_line_ends() -> None:
    from thoth.refresh_service.chunk import ChunkSettings, chunk_document
    from thoth.refresh_service.markup import parse_document

    data = "# T\n\npara\u2028same line\x0cstill\x1c\x85here\n\n## H\n\nend\n".encode()
    doc = parse_document("p.md", data, site=site())
    chunks = chunk_document(
        doc, source="s", url="u", commit=None, last_modified=None, settings=ChunkSettings()
    )
    assert [(c.line_start, c.line_end) for c in chunks] == [(1, 3), (5, 7)]
