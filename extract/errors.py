"""The one exception the extractor raises for input it cannot read."""


class BadReport(Exception):
    """The file is not a readable Ofsted report. ``str(exc)`` is one line fit for a user."""
