"""Reports: a check rendered for people (text) and programs (JSON), and saved.

``document`` is the versioned JSON contract, ``text`` the terminal's view and
``store`` the one place reports are written to disk.
"""
