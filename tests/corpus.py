"""Where the full report corpus is, if anywhere: the corpus-wide tests skip without it.

Looked for in $OFSTED_WATCH_CORPUS, then ../shared/corpus beside the repository (where CI and the
developers' machines have it), then /work/shared/corpus.
"""
import os
from pathlib import Path

_REPO = Path(__file__).resolve().parent.parent


def corpus_dir() -> Path:
    for candidate in (os.environ.get("OFSTED_WATCH_CORPUS"), _REPO.parent / "shared" / "corpus",
                      "/work/shared/corpus"):
        if candidate and (Path(candidate) / "truth.json").is_file():
            return Path(candidate)
    return Path("/nonexistent/corpus")


CORPUS = corpus_dir()
