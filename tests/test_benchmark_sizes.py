"""The benchmark's sizes: every mode names every setting the cases read, so neither
`python -m benchmarks` nor `--quick` stops half-way on a missing one."""

from __future__ import annotations

from benchmarks.__main__ import SIZES


def test_every_benchmark_mode_names_the_same_settings():
    modes = list(SIZES.values())
    assert all(mode.keys() == modes[0].keys() for mode in modes)
