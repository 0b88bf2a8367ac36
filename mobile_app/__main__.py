"""`python -m mobile_app`: start the clerk's phone app on this desktop (see mobile_app/desktop.py)."""

from mobile_app.desktop import main

if __name__ == "__main__":
    raise SystemExit(main())
