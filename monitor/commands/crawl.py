"""``ofsted-watch crawl`` (the command lives with the crawler: crawler/command.py)."""
from crawler.command import crawl

COMMANDS = [crawl]
