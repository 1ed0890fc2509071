"""Errors that reach users: one clear line, naming the file and the problem."""

from __future__ import annotations

__all__ = [
    "UserError",
    "ImageReadError",
    "VideoReadError",
    "CheckpointError",
    "DataError",
    "MissingWeightsError",
    "WriteError",
    "FolderInUseError",
    "first_line",
]


class UserError(Exception):
    """Bad input from a user: the CLI prints ``str(error)`` on one line, never a traceback."""


class ImageReadError(UserError):
    """An image file that cannot be read (missing, empty, truncated, not an image ...)."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class VideoReadError(UserError):
    """A video file that cannot be read (missing, empty, truncated, no video stream, unsupported ...)."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class CheckpointError(UserError):
    """A checkpoint file that is missing, corrupt, or of the wrong kind."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class DataError(UserError):
    """A dataset that cannot be used (empty folder, unknown name ...)."""


class MissingWeightsError(UserError):
    """Pretrained weights (e.g. Inception for FID) that are not on this machine."""


class WriteError(UserError):
    """A file that could not be written (full disk, no permission, verification failed ...).

    The old file at ``path``, if any, is untouched and no temporary file is left behind.
    """

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: cannot write ({reason}); the previous file, if any, is unchanged")


class FolderInUseError(UserError):
    """An output folder that another running process is writing into (it holds the folder's lock)."""


def first_line(error: BaseException, limit: int = 160) -> str:
    """The first line of ``error``'s message (at most ``limit`` characters), or its type's name when
    the message is empty: a caught library error, quoted inside one of the one-line errors above."""
    text = str(error).strip()
    return text.splitlines()[0][:limit] if text else type(error).__name__
