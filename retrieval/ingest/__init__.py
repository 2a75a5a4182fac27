"""Ingestion: corpus files to Articles (decode, front matter, HTML or plain text, dates)."""

from .reader import article_from_bytes, iter_corpus_files, parse_article_text, read_article, scan_corpus

__all__ = ["article_from_bytes", "iter_corpus_files", "parse_article_text", "read_article", "scan_corpus"]
