"""The one exception type users see as a clear, one-line message (never a traceback)."""


class JsnaInputError(Exception):
    """Bad input: a missing file, a wrong column, an unknown code, a pack that is not ours.

    The message names the file, column or code, and says what to do where that is known.
    """
