"""Find a font that draws Chinese and make it Kivy's default, so no label shows boxes.

Kivy's bundled Roboto has no CJK glyphs. Registering a CJK font under Kivy's default font name
("Roboto") makes every Label, Button and TextInput use it without naming a font anywhere.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

log = logging.getLogger(__name__)

ENV_VAR = "AISLE_APP_FONT"

# Most specific first: a Debian desktop, Noto CJK on Linux, Android, macOS, Windows.
SYSTEM_FONTS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/system/fonts/NotoSansCJK-Regular.ttc",
    "/system/fonts/NotoSansSC-Regular.otf",
    "/system/fonts/DroidSansFallback.ttf",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Light.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)


class FontNotFound(RuntimeError):
    """No CJK font was found: Chinese text would render as boxes."""


def find_cjk_font(
    env: Mapping[str, str] | None = None, candidates: Iterable[str] = SYSTEM_FONTS
) -> Path | None:
    """The first CJK font file: $AISLE_APP_FONT when it is set, then the known system paths."""
    env = os.environ if env is None else env
    chosen = env.get(ENV_VAR, "").strip()
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_file():
            # A font the user named but we cannot read is a mistake they must hear about.
            raise FontNotFound(f"{ENV_VAR}={chosen} is not a readable font file")
        return path
    for candidate in candidates:
        path = Path(candidate)
        if path.is_file():
            return path
    return None


_registered: Path | None = None


def register_cjk_font(env: Mapping[str, str] | None = None) -> Path | None:
    """Register the CJK font as Kivy's default font and under "AisleCJK"; the file used, or None."""
    global _registered
    from kivy.core.text import DEFAULT_FONT, LabelBase

    path = find_cjk_font(env)
    if path is None:
        log.warning("no CJK font found (set %s): Chinese text will show as boxes", ENV_VAR)
        return None
    for name in (DEFAULT_FONT, "AisleCJK"):
        LabelBase.register(name, fn_regular=str(path))
    _registered = path
    log.info("CJK font: %s", path)
    return path


def registered_font() -> Path | None:
    """The font file register_cjk_font put in place (None before it ran or when none was found)."""
    return _registered


def font_file_of(font_name: str) -> str | None:
    """The regular font file Kivy draws `font_name` with (a registered name or a path)."""
    from kivy.core.text import LabelBase

    # Kivy keeps its registry as a class attribute: name -> (regular, italic, bold, bolditalic).
    fonts: dict[str, tuple[str, ...]] = getattr(LabelBase, "_fonts", {})
    if font_name in fonts:
        return fonts[font_name][0]
    return font_name if Path(font_name).is_file() else None
