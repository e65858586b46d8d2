"""`python -m tracker` runs the `tracker` command."""

from tracker.cli import main

if __name__ == "__main__":
    main(prog_name="tracker")
