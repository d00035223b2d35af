"""``python -m crawler ...`` is ``ofsted-watch crawl ...`` (used by the subprocess runner)."""
from .command import crawl

if __name__ == "__main__":
    crawl(prog_name="python -m crawler")
