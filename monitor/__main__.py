"""``python -m monitor ...`` is ``ofsted-watch ...`` (the crawl subprocess is started this way)."""
from .cli import main

if __name__ == "__main__":
    main(prog_name="ofsted-watch")
