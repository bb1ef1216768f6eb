"""Charts drawn with QPainter, shared by the dock panel, exports and print layouts."""
