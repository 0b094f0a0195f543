"""Cursors: what one encodes comes back for the same scope and key only, and any change
to the text is refused as InvalidCursor."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parley.kit.cursors import CursorCodec, InvalidCursor

KEY = b"k" * 32
codec = CursorCodec(KEY)


@given(scope=st.text(max_size=40), position=st.lists(st.text(max_size=40), max_size=4))
def test_a_cursor_round_trips(scope: str, position: list[str]) -> None:
    assert codec.decode(codec.encode(scope, position), scope) == position


def test_a_position_round_trips_with_its_zone_and_microseconds() -> None:
    at = datetime(2026, 5, 15, 14, 32, 10, 123456, tzinfo=UTC)
    row = uuid.uuid4()
    assert codec.decode_position(codec.encode_position("s", at, row), "s") == (at, row)


def test_another_scope_or_key_is_refused() -> None:
    cursor = codec.encode("org:1", ["a"])
    with pytest.raises(InvalidCursor, match="different scope"):
        codec.decode(cursor, "org:2")
    with pytest.raises(InvalidCursor, match="not issued by this server"):
        CursorCodec(b"x" * 32).decode(cursor, "org:1")


def test_every_altered_byte_is_refused() -> None:
    cursor = codec.encode("scope", ["2026-05-15T14:32:10+00:00", str(uuid.uuid4())])
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    for index in range(len(raw)):
        altered = bytearray(raw)
        altered[index] ^= 0x01
        text = base64.urlsafe_b64encode(bytes(altered)).rstrip(b"=").decode()
        with pytest.raises(InvalidCursor):
            codec.decode(text, "scope")


@pytest.mark.parametrize("text", ["", "!!!", "a", "x" * 2000, "AAAA"])
def test_malformed_text_is_refused(text: str) -> None:
    with pytest.raises(InvalidCursor):
        codec.decode(text, "scope")


def test_a_signed_position_that_is_not_a_time_and_id_is_refused() -> None:
    naive = codec.encode("s", [datetime(2026, 1, 1).isoformat(), str(uuid.uuid4())])
    wrong_shape = codec.encode("s", ["2026-01-01T00:00:00+00:00"])
    for cursor in (naive, wrong_shape, codec.encode("s", ["yesterday", "nobody"])):
        with pytest.raises(InvalidCursor, match="malformed"):
            codec.decode_position(cursor, "s")


def test_positions_keep_their_order_after_the_round_trip() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    times = [start + timedelta(microseconds=n) for n in (0, 1, 999, 1000)]
    decoded = [
        codec.decode_position(codec.encode_position("s", t, uuid.uuid4()), "s")[0] for t in times
    ]
    assert decoded == times
