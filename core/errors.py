"""The one error type of LobbyStar. Services raise it (or a subclass) with a message a person can
read, already in the language of the request; the console shows it as an error message and a
command prints it and exits with status 1."""


class LobbyStarError(Exception):
    """Something a person asked for cannot be done; `str(error)` says why, in words."""
