"""Reading and writing video files frame by frame with PyAV (FFmpeg's libraries, no external binary).

:class:`VideoReader` decodes one frame at a time as (H, W, 3) uint8 RGB; :class:`VideoWriter` encodes
frames into MP4 (H.264, or MPEG-4 Part 2 where libx264 is missing) or GIF, chosen by the file name,
at the given frame rate, and can copy an audio track from another file into an MP4. Neither keeps
more than a frame in memory. Every decoding problem is one :class:`~gancolor.errors.VideoReadError`
line (``"<path>: <reason>"``); the output file appears only when it is complete
(:func:`gancolor.io_utils.atomic_write`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np

from gancolor.errors import UserError, VideoReadError
from gancolor.io_utils import atomic_write

__all__ = ["VIDEO_EXTENSIONS", "VideoInfo", "VideoReader", "VideoWriter", "probe_video"]

#: File name endings (lower case) treated as videos; MP4 and GIF are written.
VIDEO_EXTENSIONS: frozenset[str] = frozenset({".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".gif"})
_WRITABLE = (".mp4", ".gif")


@dataclass(frozen=True)
class VideoInfo:
    """``width`` x ``height`` px, ``fps`` frames per second, ``frames`` as the file states it (0 if it
    does not say), ``audio``: whether it has an audio track."""

    width: int
    height: int
    fps: Fraction
    frames: int
    audio: bool


def _reason(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text[:160]


class VideoReader:
    """Decode a video file frame by frame: ``for rgb in VideoReader(path): ...`` ((H, W, 3) uint8).

    Opening raises :class:`VideoReadError` for a missing, empty or non-video file; iterating raises
    it for data that stops decoding part-way (a truncated file) when the file announced more frames.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise VideoReadError(self.path, "no such file" if not self.path.exists() else "not a file")
        if self.path.stat().st_size == 0:
            raise VideoReadError(self.path, "the file is empty")
        try:
            self._container = av.open(str(self.path), mode="r")
        except (av.FFmpegError, UnicodeDecodeError, ValueError) as error:
            raise VideoReadError(self.path, f"not a readable video ({_reason(error)})") from None
        if not self._container.streams.video:
            self._container.close()
            raise VideoReadError(self.path, "no video stream in the file")
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate or Fraction(25)
        width, height = stream.codec_context.width, stream.codec_context.height
        if not width or not height:
            self._container.close()
            raise VideoReadError(self.path, "the video stream has no frame size (unsupported codec?)")
        self.info = VideoInfo(width, height, Fraction(rate), int(stream.frames or 0),
                              bool(self._container.streams.audio))
        self._stream = stream

    def __iter__(self) -> Iterator[np.ndarray]:
        decoded = 0
        try:
            for frame in self._container.decode(self._stream):
                decoded += 1
                yield frame.to_ndarray(format="rgb24")
        except (av.FFmpegError, ValueError) as error:
            raise VideoReadError(self.path, f"the video breaks off after {decoded} frames "
                                            f"({_reason(error)})") from None
        if decoded == 0:
            raise VideoReadError(self.path, "no frame could be decoded (truncated or unsupported video)")
        if self.info.frames and decoded < self.info.frames - 1:
            raise VideoReadError(self.path, f"truncated: {decoded} of {self.info.frames} frames decoded")

    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def probe_video(path: str | os.PathLike) -> VideoInfo:
    """Size, frame rate, stated frame count and audio of a video (:class:`VideoReadError` if unreadable)."""
    with VideoReader(path) as reader:
        return reader.info


class VideoWriter:
    """Encode frames into ``path`` (.mp4 or .gif) at ``fps``: ``with VideoWriter(...) as w: w.write(rgb)``.

    ``audio_from``: a file whose first audio track is copied into the MP4 (ignored for GIF).
    The file appears at ``path`` only when the block ends without an error.
    """

    def __init__(self, path: str | os.PathLike, width: int, height: int, fps: Fraction | float,
                 audio_from: str | os.PathLike | None = None, quality: int = 18) -> None:
        self.path = Path(path)
        self.suffix = self.path.suffix.lower()
        if self.suffix not in _WRITABLE:
            raise UserError(f"{self.path}: cannot write {self.suffix or 'files without an extension'} "
                            f"videos; use {' or '.join(_WRITABLE)}")
        self.size = (width, height)
        self.fps = Fraction(fps).limit_denominator(1001 * 1000)
        self.audio_from = Path(audio_from) if audio_from is not None and self.suffix == ".mp4" else None
        self.quality = quality
        self.count = 0
        self._stack = ExitStack()

    def __enter__(self) -> VideoWriter:
        tmp = self._stack.enter_context(atomic_write(self.path))
        self._container = self._stack.enter_context(av.open(str(tmp), mode="w"))
        width, height = self.size
        if self.suffix == ".gif":
            stream = self._container.add_stream("gif", rate=self.fps)
            stream.pix_fmt = "rgb8"
        else:
            codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
            stream = self._container.add_stream(codec, rate=self.fps)
            even = width % 2 == 0 and height % 2 == 0
            stream.pix_fmt = "yuv420p" if even else "yuv444p"  # 4:2:0 needs even sides
            if codec == "libx264":
                stream.options = {"crf": str(self.quality), "preset": "veryfast"}
        stream.width, stream.height = width, height
        self._video = stream
        self._audio = None
        if self.audio_from is not None:
            self._source = self._stack.enter_context(av.open(str(self.audio_from), mode="r"))
            if self._source.streams.audio:
                self._audio = self._container.add_stream_from_template(self._source.streams.audio[0])
        return self

    def write(self, rgb: np.ndarray) -> None:
        """Encode one frame (H, W, 3) uint8 of the writer's size."""
        if rgb.shape != (self.size[1], self.size[0], 3) or rgb.dtype != np.uint8:
            raise ValueError(f"frames must be {(self.size[1], self.size[0], 3)} uint8; "
                             f"got {rgb.shape} {rgb.dtype}")
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = self.count
        frame.time_base = Fraction(1) / self.fps
        self._container.mux(self._video.encode(frame))
        self.count += 1

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            if kind is None:
                self._container.mux(self._video.encode(None))  # flush the encoder
                if self._audio is not None:
                    source = self._source.streams.audio[0]
                    for packet in self._source.demux(source):
                        if packet.dts is None:
                            continue
                        packet.stream = self._audio
                        self._container.mux(packet)
        finally:
            self._stack.__exit__(kind, error, trace)
