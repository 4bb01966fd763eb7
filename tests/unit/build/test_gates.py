"""Lambda's limits are enforced before any AWS call."""

from __future__ import annotations

import pytest

from tools.build.errors import PackagingError
from tools.build.gates import DIRECT_UPLOAD, UNZIPPED_BUDGET, Artifact, check

MB = 1024 * 1024


def test_within_limits_flags_large_zips_for_s3() -> None:
    artifacts = [
        Artifact("fn", "function", MB, 2 * MB),
        Artifact("deps", "layer", 30 * MB, 90 * MB),
        Artifact("encoder", "layer", DIRECT_UPLOAD + 1, 90 * MB),
    ]
    assert check(artifacts) == ["encoder"]


def test_over_budget_names_the_biggest_and_the_fix() -> None:
    artifacts = [Artifact("fn", "function", MB, MB), Artifact("torch", "layer", 200 * MB, UNZIPPED_BUDGET)]
    with pytest.raises(PackagingError, match=r"over the 262,144,000-byte budget \(torch") as info:
        check(artifacts)
    assert "trim or drop" in str(info.value)


def test_budget_is_configurable() -> None:
    artifacts = [Artifact("fn", "function", MB, 10 * MB)]
    assert check(artifacts, budget=10 * MB) == []
    with pytest.raises(PackagingError, match="over the"):
        check(artifacts, budget=10 * MB - 1)


def test_more_than_five_layers_is_refused() -> None:
    layers = [Artifact(f"l{i}", "layer", 1, 1) for i in range(6)]
    with pytest.raises(PackagingError, match=r"6 layers .* limit of 5"):
        check(layers)


@pytest.mark.parametrize("budget", [0, -1])
def test_nonsense_budget_is_rejected(budget: int) -> None:
    with pytest.raises(PackagingError, match="not positive"):
        check([], budget=budget)
