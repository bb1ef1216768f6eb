"""Print layouts and map images made from a loaded pack."""
