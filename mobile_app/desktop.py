"""Start the phone app on a desktop (`python -m mobile_app`, `aisle app`): a phone-shaped window, INFO
logging, a clean console, and one clear line instead of an invisible window when there is no display.

Nothing here imports Kivy before the environment and Kivy's config are set: the window's size is fixed
when kivy.core.window is imported. The Android build starts through mobile_app.main.run() instead.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
from collections.abc import Mapping, Sequence

from mobile_app.logs import LEVEL_ENV, chosen_level, quiet_kivy_noise

log = logging.getLogger(__name__)

WINDOW_ENV = "AISLE_APP_WINDOW"
WINDOW = (400, 800)  # portrait, like the phone (the screenshots are 360x780 dp)
SMALLEST = (320, 560)  # below this the top bar, a form and the tab bar no longer fit
NO_DISPLAY = 3  # the exit code when no window can be shown
HOW_TO = (
    "run it in a desktop session (or set DISPLAY, e.g. DISPLAY=:0), "
    "or set SDL_VIDEODRIVER=offscreen to run it without a window, as the tests and screenshots do"
)


def window_size(text: str) -> tuple[int, int]:
    """WIDTHxHEIGHT in pixels, e.g. 400x800 (at least SMALLEST)."""
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 400x800") from None
    if width < SMALLEST[0] or height < SMALLEST[1]:
        raise argparse.ArgumentTypeError(f"{text} is smaller than {SMALLEST[0]}x{SMALLEST[1]}")
    return width, height


def parse(argv: Sequence[str] | None, environ: Mapping[str, str]) -> argparse.Namespace:
    """The command line, its defaults taken from $AISLE_APP_WINDOW and $AISLE_APP_LOG_LEVEL."""
    parser = argparse.ArgumentParser(prog="python -m mobile_app", description="The clerk's phone app.")
    parser.add_argument(
        "--window",
        type=window_size,
        default=environ.get(WINDOW_ENV) or "x".join(map(str, WINDOW)),
        help=f"window size WIDTHxHEIGHT (default {WINDOW[0]}x{WINDOW[1]}, or ${WINDOW_ENV})",
    )
    parser.add_argument(
        "--debug",
        dest="level",
        action="store_const",
        const=logging.DEBUG,
        default=chosen_level(environ),
        help=f"log at DEBUG (default INFO, or ${LEVEL_ENV}=debug)",
    )
    return parser.parse_args(argv)


def no_display(environ: Mapping[str, str], platform: str = sys.platform) -> str | None:
    """Why a Linux desktop has nowhere to show the window (no DISPLAY, no Wayland), or None."""
    if not platform.startswith("linux") or environ.get("SDL_VIDEODRIVER"):
        return None  # macOS and Windows always have a screen; a chosen driver is the user's call
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return f"No display: DISPLAY is not set, so the phone app has no screen to open its window on; {HOW_TO}."


def unreachable_display(
    environ: Mapping[str, str], window_info: object, platform: str = sys.platform
) -> str | None:
    """Why the window that opened is invisible, or None.

    Kivy's SDL falls back to its offscreen driver without a word when it cannot reach the X server
    named by DISPLAY (an ssh session's stale forwarding, a display that has gone). An X11 window has
    window info; the offscreen one has none. With Wayland (or a chosen driver) this cannot be told.
    """
    if not platform.startswith("linux") or environ.get("SDL_VIDEODRIVER") or environ.get("WAYLAND_DISPLAY"):
        return None
    if window_info is not None:
        return None
    return f"No display: cannot reach the X server at DISPLAY={environ.get('DISPLAY', '')}; {HOW_TO}."


def prepare(window: tuple[int, int], level: int) -> None:
    """Set Kivy up for this desktop: no argv parsing, the log level, the window's size."""
    os.environ["KIVY_NO_ARGS"] = "1"  # our own flags are not Kivy's
    quiet_kivy_noise()
    logging.getLogger("kivy").setLevel(level)  # from the first line Kivy logs on import
    from kivy.config import Config

    Config.set("kivy", "log_level", logging.getLevelName(level).lower())
    Config.set("graphics", "width", str(window[0]))
    Config.set("graphics", "height", str(window[1]))
    Config.set("graphics", "minimum_width", str(SMALLEST[0]))
    Config.set("graphics", "minimum_height", str(SMALLEST[1]))


def main(argv: Sequence[str] | None = None) -> int:
    """Start the app on this desktop; the process's exit code."""
    args = parse(argv, os.environ)
    problem = no_display(os.environ)
    if problem is not None:
        sys.stderr.write(problem + "\n")
        return NO_DISPLAY
    prepare(args.window, args.level)
    from kivy.core.window import Window

    problem = unreachable_display(os.environ, Window.get_window_info())
    if problem is not None:
        log.error(problem)
        return NO_DISPLAY
    if sys.platform.startswith("linux") and not (shutil.which("xclip") or shutil.which("xsel")):
        log.info("Clipboard: copy and paste work; install xclip for middle-click paste")
    log.info("Window: %dx%d (set %s=WIDTHxHEIGHT for another size)", *Window.size, WINDOW_ENV)
    from mobile_app.main import run

    run(args.level)
    return 0
