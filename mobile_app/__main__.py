"""`python -m mobile_app`: start the clerk's phone app on this desktop."""

from mobile_app.main import run

if __name__ == "__main__":
    run()
