"""Placeholder: filled in below."""
def detect(doc):
    return False
