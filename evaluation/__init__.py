"""`make eval`: the labelled evaluation set (dataset.json) through the real pipeline.

Feeds are served from a local HTTP server and polled with poll_source, in a
database of its own (created and dropped here); the figures printed are the
ones the README's "Accuracy" section quotes.
"""
