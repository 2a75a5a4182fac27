"""Answer-quality harness: CMRC 2018 paragraph retrieval and the newsqa question set."""
