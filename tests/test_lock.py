"""The lock files are what the requirements ask for: a pin changed in requirements*.txt without
`make lock` fails here, before an install from the stale lock would silently differ."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.\[\]-]+)==([^\s;#]+)", re.M)


def pins(text: str) -> dict[str, str]:
    return {re.sub(r"\[.*\]", "", n).lower().replace("_", "-"): v for n, v in PIN.findall(text)}


@pytest.mark.parametrize(
    ("asked", "locked"),
    [("requirements.txt", "requirements.lock"), ("requirements-dev.txt", "requirements-dev.lock")],
)
def test_every_asked_pin_is_in_the_lock_with_hashes(asked, locked):
    want = pins((ROOT / asked).read_text())
    if asked == "requirements-dev.txt":
        want |= pins((ROOT / "requirements.txt").read_text())
    lock = (ROOT / locked).read_text()
    got = pins(lock)
    assert {n: v for n, v in want.items() if got.get(n) != v} == {}, "run `make lock`"
    blocks = re.split(r"\n(?=[A-Za-z0-9])", lock.split("\n", 2)[2])
    assert all("--hash=sha256:" in b for b in blocks if PIN.match(b)), (
        "every locked package carries its hashes"
    )
