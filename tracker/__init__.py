"""storydiff: follow how documents change."""

__version__ = "0.1.0"
