"""Profiles as documents people finish in a word processor (Word, through python-docx)."""
