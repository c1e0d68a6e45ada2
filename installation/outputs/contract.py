"""The output contract: what every place a frame goes to (window, video file, PNG) offers.

An ``Output`` is handed each drawn ``Picture`` (the tapestry after ``draw``) with ``write``
and is ``close``d once at the end. Windows show the picture's texture on the GPU; files read
its pixels back (``read``). Offline renders, stills, screenshots and the live show's windows
all go through it, so a new output is one class here or beside its kind (and one line where
it is plugged in).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np

from installation.outputs.png import write_png


class Picture(Protocol):
    """A drawn frame, as outputs see it (``render.tapestry.Tapestry`` is one).

    Attributes:
        output: the framebuffer holding the picture (its first colour attachment).
        fade: the gallery fade the picture was drawn at (0: black, nothing drawn).
    """

    output: Any
    fade: float

    def read(self) -> np.ndarray:
        """The picture's pixels, height x width x 3, uint8, top row first."""
        ...


class Output(Protocol):
    """Somewhere frames go."""

    def write(self, picture: Picture) -> None:
        """Take one frame."""
        ...

    def close(self) -> None:
        """Finish (flush files, close windows); called once."""
        ...


class PixelSink(Protocol):
    """Anything that takes frames as pixels (``outputs.video.VideoWriter``)."""

    def write(self, frame: np.ndarray) -> None:
        """Take one frame's pixels."""
        ...

    def close(self) -> None:
        """Finish."""
        ...


class FileOutput:
    """An ``Output`` that reads each picture back and hands its pixels to ``sink``."""

    def __init__(self, sink: PixelSink) -> None:
        """Write to ``sink`` (a video file or PNG sequence)."""
        self.sink = sink

    def write(self, picture: Picture) -> None:
        """Read the picture back and write its pixels."""
        self.sink.write(picture.read())

    def close(self) -> None:
        """Close the sink."""
        self.sink.close()


class PngOutput:
    """An ``Output`` writing each picture as a PNG named by ``name(k)`` for the k-th frame.

    ``paths`` lists what was written.
    """

    def __init__(self, name: Any) -> None:
        """``name``: a callable from the frame's number (from 0) to its path."""
        self.name = name
        self.paths: list[Path] = []
        self._k = 0

    def write(self, picture: Picture) -> None:
        """Write the picture to its file (atomically)."""
        self.paths.append(write_png(self.name(self._k), picture.read()))
        self._k += 1

    def close(self) -> None:
        """Nothing is held open."""
