"""SecretBox: a sealed secret opens with the key it was sealed with, after a rotation
and after moving from the key file to PARLEY_SECRET_KEY; with any other key it refuses
clearly."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from parley.config import Settings
from parley.kit.secretbox import KEY_FILE, SecretBox, SecretUnreadable, key_file


def settings(home: Path, key: str | None = None, previous: str | None = None) -> Settings:
    return Settings(_env_file=None, home=home, secret_key=key, previous_secret_keys=previous)


def test_seal_and_open_round_trip_without_the_secret_in_the_text(tmp_path: Path) -> None:
    box = SecretBox.from_settings(settings(tmp_path, "first"))
    sealed = box.seal("hunter2 ünïcode")
    assert "hunter2" not in sealed
    assert box.open(sealed) == "hunter2 ünïcode"


def test_a_rotated_key_still_opens_what_the_old_one_sealed(tmp_path: Path) -> None:
    old = SecretBox.from_settings(settings(tmp_path, "first")).seal("pw")
    rotated = SecretBox.from_settings(settings(tmp_path, "second", previous="zero, first"))
    assert rotated.open(old) == "pw"
    # New secrets are sealed with the new key: without the old one they still open.
    fresh = rotated.seal("pw2")
    assert SecretBox.from_settings(settings(tmp_path, "second")).open(fresh) == "pw2"


def test_another_key_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    sealed = SecretBox.from_settings(settings(tmp_path, "first")).seal("pw")
    with pytest.raises(SecretUnreadable, match="PARLEY_SECRET_KEY"):
        SecretBox.from_settings(settings(tmp_path, "other")).open(sealed)
    with pytest.raises(SecretUnreadable):
        SecretBox.from_settings(settings(tmp_path, "first")).open("not a token")


def test_the_key_file_is_private_stable_and_kept_after_moving_to_the_setting(
    tmp_path: Path,
) -> None:
    box = SecretBox.from_settings(settings(tmp_path))
    sealed = box.seal("pw")
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert key_file(path) == key_file(path)
    assert SecretBox.from_settings(settings(tmp_path)).open(sealed) == "pw"
    assert SecretBox.from_settings(settings(tmp_path, "now-set")).open(sealed) == "pw"


def test_moving_back_to_the_key_file_keeps_the_former_setting_readable(tmp_path: Path) -> None:
    sealed = SecretBox.from_settings(settings(tmp_path, "first")).seal("pw")
    with pytest.raises(SecretUnreadable):
        SecretBox.from_settings(settings(tmp_path)).open(sealed)
    assert SecretBox.from_settings(settings(tmp_path, previous="first")).open(sealed) == "pw"
