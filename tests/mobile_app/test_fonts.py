"""Finding the CJK font: $AISLE_APP_FONT first, then the known system paths; a bad setting is an error."""

from __future__ import annotations

from pathlib import Path

import pytest

from mobile_app.fonts import ENV_VAR, SYSTEM_FONTS, FontNotFound, find_cjk_font

DEBIAN_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def test_the_environment_variable_wins(tmp_path: Path) -> None:
    chosen = tmp_path / "MyCJK.ttf"
    chosen.write_bytes(b"not really a font, but a file")
    system = tmp_path / "system.ttc"
    system.write_bytes(b"x")
    assert find_cjk_font({ENV_VAR: str(chosen)}, [str(system)]) == chosen


def test_a_missing_chosen_font_is_an_error_not_a_silent_fallback(tmp_path: Path) -> None:
    with pytest.raises(FontNotFound, match=ENV_VAR):
        find_cjk_font({ENV_VAR: str(tmp_path / "nope.ttf")}, SYSTEM_FONTS)


def test_the_first_system_font_present_is_used(tmp_path: Path) -> None:
    second = tmp_path / "second.ttc"
    second.write_bytes(b"x")
    assert find_cjk_font({}, [str(tmp_path / "first.ttc"), str(second)]) == second
    assert find_cjk_font({}, [str(tmp_path / "none.ttc")]) is None


def test_android_and_other_systems_are_searched() -> None:
    assert "/system/fonts/NotoSansCJK-Regular.ttc" in SYSTEM_FONTS
    assert "C:/Windows/Fonts/msyh.ttc" in SYSTEM_FONTS
    assert "/System/Library/Fonts/PingFang.ttc" in SYSTEM_FONTS


@pytest.mark.skipif(not DEBIAN_FONT.exists(), reason="fonts-wqy-microhei is not installed")
def test_debian_wqy_microhei_is_found() -> None:
    assert find_cjk_font({}) == DEBIAN_FONT
