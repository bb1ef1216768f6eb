"""Dialogs and docks: they present and delegate; the work is done in layers/ and core/."""
