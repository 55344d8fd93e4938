"""Where the shared feed corpus is, and what a test does when it is not there.

The corpus (feedparser's and Miniflux's test feeds) sits beside this checkout in
development and CI, at settings.FEED_CORPUS_DIR (env FEED_CORPUS_DIR). A public
clone may not have it: there the corpus tests skip and say how to run them. With
CI=true a missing corpus fails the run, so CI can never pass without them.
"""

import os

import pytest
from django.conf import settings

CORPUS = settings.FEED_CORPUS_DIR
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
HOW_TO = (f"the shared feed corpus is not at {CORPUS}: set FEED_CORPUS_DIR to a copy of "
          "shared/corpus (feedparser's and Miniflux's test feeds) to run these tests")


def require_corpus() -> None:
    if CORPUS.is_dir():
        return
    if IN_CI:
        pytest.fail(HOW_TO + " (CI=true: the corpus is required)", pytrace=False)
    pytest.skip(HOW_TO)
