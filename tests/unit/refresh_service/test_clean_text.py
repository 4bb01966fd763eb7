"""Text an assistant can use: links resolved, alerts as a bold lead, emoji as characters, code
shortcodes as fenced blocks, hidden bodies gone, glossary terms defined once, parameters as values."""

from __future__ import annotations

from thoth.refresh_service.markup import Site
from thoth.refresh_service.markup.budget import unlimited
from thoth.refresh_service.markup.site import load_site
from thoth.refresh_service.markup.transform import clean

BASE = "https://docs.example/"


def site(files: dict[str, str] | None = None, config: str = "") -> Site:
    files = {"hugo.toml": f'baseURL = "{BASE}"\n{config}', **(files or {})}
    data = {p: t.encode() for p, t in files.items()}
    found = load_site({p: f"d{i}" for i, p in enumerate(data)}, data.__getitem__, False)
    assert found is not None
    found.sizes = {p: len(d) for p, d in data.items()}
    return found


PAGES = {
    "content/docs/_index.md": "",
    "content/docs/install.md": "---\nslug: setup\n---\n",
    "content/docs/guide/index.md": "",
    "content/docs/page.md": "",
}


def text(
    body: str, files: dict[str, str] | None = None, config: str = "", page: str = "content/docs/page.md"
) -> str:
    return clean(body, 1, site({**PAGES, **(files or {})}, config), unlimited(), page=page).text


def test_reference_links_take_their_definitions_url_and_the_definitions_go() -> None:
    out = text(
        "Set [summaryLength][] or [the length][len] or [summaryLength].\n"
        "> - [`where`][] in a quote\n>\n> [`where`]: /functions/where/\n\n"
        "[summaryLength]: https://gohugo.io/config/#summarylength\n"
        '[len]:\n  <https://gohugo.io/config/#len> "Length"\n'
        "[^1]: A footnote stays.\n"
    )
    assert "[summaryLength](https://gohugo.io/config/#summarylength)" in out
    assert "[the length](https://gohugo.io/config/#len)" in out
    assert out.count("](https://gohugo.io/config/#summarylength)") == 2
    assert f"[`where`]({BASE}functions/where/)" in out
    assert "]:" not in out.replace("[^1]:", "") and "[^1]: A footnote stays." in out


def test_site_links_become_the_published_url() -> None:
    out = text(
        "[a](install.md#step-2) [b](/docs/guide/) [c](#top) [d](../) [e](https://x.example/a.md) "
        "![img](pic.png) [f](mailto:a@b.c) [g](guide/index.md)\n"
    )
    assert f"[a]({BASE}docs/setup/#step-2)" in out  # the slug decides the URL
    assert f"[b]({BASE}docs/guide/)" in out and f"[c]({BASE}docs/page/#top)" in out
    assert f"[d]({BASE}docs/)" in out and "[e](https://x.example/a.md)" in out
    assert "![img](pic.png)" in out and "[f](mailto:a@b.c)" in out and f"[g]({BASE}docs/guide/)" in out


def test_alerts_become_a_bold_lead_and_emoji_characters() -> None:
    body = "> [!NOTE]\n> Read this.\n\n> [!warning] Careful now\n> Really.\n\n:tada: done `:tada:`\n"
    out = text(body, config="enableEmoji = true\n")
    assert "> **Note:**\n> Read this." in out and "> **Warning:** Careful now" in out
    assert "🎉 done `:tada:`" in out and "[!" not in out
    assert ":tada: done" in text(body)  # Hugo leaves codes alone unless enableEmoji is set


def test_code_shortcodes_become_one_fenced_block_with_its_language() -> None:
    out = text(
        "{{< code-toggle file=hugo >}}\n[params]\nfoo = 'bar'\n{{< /code-toggle >}}\n\n"
        "{{< code-toggle >}}\nparams:\n  foo: bar\n{{< /code-toggle >}}\n\n"
        '{{< tabpane >}}\n{{< tab header="hugo.json" lang="json" >}}\n{ "a": 1 }\n{{< /tab >}}\n'
        "{{< /tabpane >}}\n\n"
        '{{< tabpane text=true >}}\n{{% tab header="Linux" %}}\n## Not code\n{{% /tab %}}\n{{< /tabpane >}}\n'
    )
    assert "```toml\n[params]\nfoo = 'bar'\n```" in out
    assert "```yaml\nparams:\n  foo: bar\n```" in out
    assert '**hugo.json**\n\n```json\n{ "a": 1 }\n```' in out
    assert "**Linux**" in out and "## Not code" in out and out.count("```") == 6


def test_multi_line_arguments_are_one_call_and_leak_nothing() -> None:
    out = text('Before\n\n{{< datatable\n  "config"\n' + '  "column"\n' * 20 + ">}}\n\nAfter\n")
    assert out.split() == ["Before", "After"]


def test_hidden_bodies_and_templates_without_inner_drop_their_body() -> None:
    files = {
        "layouts/shortcodes/secret.html": "<div>{{ .Get 0 }}</div>",
        "layouts/_shortcodes/box.html": "{{ .Inner }}",
    }
    out = text(
        "{{< comment >}}\nTODO: private note\n{{< /comment >}}\n{{< secret x >}}hidden{{< /secret >}}\n"
        "{{< box >}}shown{{< /box >}}\n",
        files,
    )
    assert "TODO" not in out and "hidden" not in out and "shown" in out


def test_glossary_terms_are_defined_once_and_parameters_and_refs_are_values() -> None:
    files = {
        "content/glossary/_index.md": "---\ncascade:\n  build: {render: never}\n---\n",
        "content/glossary/default-sort-order.md": "The _default sort order_ is by weight.\n",
        "content/glossary/render-hook.md": "---\ntitle: render hook\n---\nA template that overrides it.\n",
    }
    out = text(
        '{{% glossary-term "default sort order" %}}\n\n{{% glossary-term "default sort order" %}}\n\n'
        '{{% glossary-term "render hooks" %}}\n\n{{% glossary-term "nope" %}}\n\n'
        'Version {{% param version %}} of {{% param "title" %}}; see [setup]({{< ref "install" >}}).\n',
        files,
        config='[params]\nversion = "v1.2"\n',
    )
    assert out.count("The _default sort order_ is by weight.") == 1 and "**default sort order**" in out
    assert "**render hooks**: A template that overrides it." in out and "**nope**" in out
    assert "Version v1.2 of ; see" in out  # a parameter the page and the site lack: nothing
    assert f"[setup]({BASE}docs/setup/)" in out


def test_a_file_read_into_a_list_items_code_block_stays_in_it() -> None:
    files = {"content/docs/score.txt": "Scorecard\n=========\nall good\n", "content/docs/c.yaml": "a: 1\n"}
    body = (
        '- Scorecard:\n\n  ```text\n  {{< readfile "score.txt" >}}\n  ```\n\n'
        '- Config:\n\n  {{< readfile file="c.yaml" code="true" lang="yaml" >}}\n\nEnd\n'
    )
    out = clean(body, 1, site({**PAGES, **files}), unlimited(), page="content/docs/page.md")
    assert "  ```text\n  Scorecard\n  =========\n  all good\n  ```" in out.text
    assert "  ```yaml\n  a: 1\n  ```" in out.text
    assert len(out.starts) >= out.text.count("\n") and len(out.ends) >= out.text.count("\n")


def test_the_glossary_page_lists_every_term_with_its_definition() -> None:
    files = {
        "content/glossary/_index.md": "---\ncascade:\n  build: {render: never}\n---\n",
        "content/glossary/cascade.md": "---\ntitle: cascade\n---\nValues a section passes down.\n",
        "content/glossary/bundle.md": "---\ntitle: page bundle\n---\nA folder that is a page.\n",
    }
    page = "content/glossary/_index.md"
    data = clean("{{% glossary %}}\n", 1, site({**PAGES, **files}), unlimited(), page=page)
    expected = "**page bundle**: A folder that is a page.\n\n**cascade**: Values a section passes down.\n"
    assert data.text == expected
