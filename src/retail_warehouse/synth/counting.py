"""Summing the per-chunk quirk counts that go into synth_manifest.json."""

from __future__ import annotations


def add_counts(total: dict, part: dict) -> None:
    """total += part, for nested dicts of counts."""
    for key, value in part.items():
        if isinstance(value, dict):
            add_counts(total.setdefault(key, {}), value)
        else:
            total[key] = total.get(key, 0) + value
