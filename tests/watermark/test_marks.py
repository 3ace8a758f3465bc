"""The hidden id encodings: table-driven round trips, and rejection of damaged input."""
from __future__ import annotations

import pytest

from vault.watermark import marks

IDS = ["AbCdEfGhIjKlMnOpQrStUv", "Zz9_-Zz9_-Zz9_-Zz9_-Zz", "12345678", "x" * 64]


@pytest.mark.parametrize("download_id", IDS)
def test_text_marker_round_trip(download_id):
    text = f"some page text {marks.text_marker(download_id)} more"
    assert marks.ids_in_text(text) == [download_id]


def test_text_marker_with_wrong_crc_ignored():
    marker = marks.text_marker(IDS[0])
    assert marks.ids_in_text(marker.replace("AbC", "AbD")) == []


@pytest.mark.parametrize("download_id", IDS)
@pytest.mark.parametrize("start, length", [(0, 100), (36.5, 540), (-300, 12), (1000, 3000)])
def test_dot_positions_round_trip_any_offset_and_scale(download_id, start, length):
    bits = marks.id_bits(download_id)
    positions = marks.dot_positions(len(bits), bits, start, length)
    assert marks.bits_to_id(marks.positions_to_bits(positions)) == download_id


def test_flipped_bit_rejected():
    bits = marks.id_bits(IDS[0])
    bits[20] ^= 1
    assert marks.bits_to_id(bits) is None


def test_too_few_dots():
    assert marks.positions_to_bits([0.0, 1.0, 2.0]) is None
