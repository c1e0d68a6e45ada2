"""The README and the design document link only to files a clone has.

Nothing outside the repository (a clone has no ``../shared/``), nothing missing.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("doc", ["README.md", "docs/design.md"])
def test_relative_links_stay_in_the_repository_and_exist(doc):
    path = ROOT / doc
    targets = [t for t in LINK.findall(path.read_text()) if "://" not in t]
    assert targets
    for target in targets:
        resolved = (path.parent / target).resolve()
        assert resolved.is_relative_to(ROOT), f"{doc} links outside the repository: {target}"
        assert resolved.exists(), f"{doc} links to a missing file: {target}"


def test_the_readme_points_at_the_design_document():
    assert "](docs/design.md)" in (ROOT / "README.md").read_text()
