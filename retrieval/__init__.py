"""Text and search: from a folder of archived news articles to quoted, dated answers.

The data flow, one module per arrow::

    ingest/  files -> Article          (decode, front matter, HTML or plain text)
    chunk    Article -> Chunk          (paragraphs as the reader saw them)
    analyse  text -> tokens            (jieba words and character bigrams)
    index    Chunk -> tantivy index on disk, refreshed incrementally (manifest: files seen)
    query    question -> Query         (terms, dates, "latest")
    search   Query -> Hit              (BM25, date boosts, semantic rerank, no-answer rule)
    semantic question, passages -> similarity  (multilingual-e5-small; vectors: kept on disk)
    background  similarity -> standard score  (how unusual that closeness is for the question)
    answer_type question -> the kind of answer asked for; passage -> can it hold one
    answer   Hit -> Answer             (lead sentence, quotes, highlight spans)
    engine   the one small API the bot and the CLI call
"""
