"""The tune-only grid's variant specs (no index, no model)."""

from __future__ import annotations

import pytest

from thoth.mcp_server.search.fusion import RankingConfig
from tools.bench.quality_grid import variant


def test_a_variant_sets_ranking_fields_by_their_types() -> None:
    name, config = variant(
        "rrf:fusion=rrf,keyword_weight=1,per_page=2,script_aware=false,identifier_keyword_weight=none"
    )
    assert name == "rrf"
    assert config == RankingConfig(
        fusion="rrf", keyword_weight=1.0, per_page=2, script_aware=False, identifier_keyword_weight=None
    )
    assert variant("default") == ("default", RankingConfig())


def test_a_variant_rejects_unknown_fields_and_bad_values() -> None:
    with pytest.raises(SystemExit, match="unknown RankingConfig field 'boost'"):
        variant("x:boost=1")
    with pytest.raises(ValueError):
        variant("x:keyword_weight=-1")
