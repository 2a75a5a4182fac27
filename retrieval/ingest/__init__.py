"""Ingestion: corpus files to Articles (decode, front matter, HTML or plain text, dates)."""

from .reader import iter_corpus_files, parse_article_text, read_article

__all__ = ["iter_corpus_files", "parse_article_text", "read_article"]
