"""Hypothesis settings for the property tests: thorough by default, quick under mutmut.

mutmut sets MUTANT_UNDER_TEST in every process it runs tests in, where each test runs once
per mutant. There a property draws a tenth of its examples, from the fixed seed mutmut's
configuration passes, and skips shrinking: a mutant run needs a failure, not the smallest one.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

UNDER_MUTATION = "MUTANT_UNDER_TEST" in os.environ


def examples(n: int) -> settings:
    """Settings drawing ``n`` examples (a tenth, at least 25, in a mutation run)."""
    if UNDER_MUTATION:
        return settings(
            max_examples=max(25, n // 10),
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
            phases=(Phase.explicit, Phase.reuse, Phase.generate),
        )
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow])
