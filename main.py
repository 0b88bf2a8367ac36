"""Android entry point: python-for-android starts main.py at the top of the package (buildozer.spec)."""

from mobile_app.main import run

if __name__ == "__main__":
    run()
