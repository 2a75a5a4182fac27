"""Conversations: the Telegram bot, the local chat harness and the command line."""
