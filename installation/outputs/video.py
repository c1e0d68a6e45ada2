"""Video files through PyAV: H.264 .mp4, ProRes .mov, or a PNG sequence; sound muxed in.

The format follows the path: ``.mp4`` (H.264, yuv420p, faststart), ``.mov`` (ProRes 422 HQ,
yuv422p10le), or a pattern with a printf field such as ``frames/%05d.png``. ``close`` always
flushes the encoder and writes the index, so an interrupted render leaves a playable file
holding the frames so far. IO problems become ``OutputError`` with the path and the reason.
"""

from __future__ import annotations

import errno
import re
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av import AudioStream, VideoStream
from av.container import InputContainer, OutputContainer

from installation.outputs.png import OutputError
from installation.outputs.presets import DEFAULT_PRESET

_PATTERN = re.compile(r"%0?\d*d")


def video_kind(path: str | Path) -> str:
    """'h264', 'prores' or 'png-sequence' for an output path; raises OutputError otherwise."""
    text = str(path)
    if _PATTERN.search(text):
        if not text.lower().endswith(".png"):
            raise OutputError(f"{text}: a frame pattern must end in .png")
        return "png-sequence"
    suffix = Path(text).suffix.lower()
    if suffix == ".mp4":
        return "h264"
    if suffix == ".mov":
        return "prores"
    raise OutputError(
        f"{text}: unknown video type; use .mp4, .mov or a pattern like frames/%05d.png"
    )


def _describe(exc: BaseException, path: str | Path) -> OutputError:
    code = getattr(exc, "errno", None)
    reasons: dict[int | None, str] = {
        errno.ENOSPC: "the disk is full",
        errno.EACCES: "permission denied",
        errno.EROFS: "the file system is read-only",
        errno.ENOENT: "the folder does not exist",
    }
    reason = reasons.get(code, str(exc))
    return OutputError(f"cannot write {path}: {reason}")


def open_sound(path: str | Path) -> InputContainer:
    """Open a sound file for muxing; the PyAV container, checked to hold a sound track.

    Raises:
        OutputError: named after the file and why, e.g. ``notes.txt: not a sound file this
            build can read (Invalid data found when processing input)``, never FFmpeg's bare
            ``[Errno 1094995529]``.
    """
    try:
        source = av.open(str(path))
    except OSError as exc:  # PyAV's missing-file and permission errors are OSErrors too
        if exc.errno in (errno.ENOENT, errno.EACCES, errno.EISDIR, errno.ENOTDIR):
            raise OutputError(f"{path}: cannot read it: {exc.strerror}") from None
        reason = getattr(exc, "strerror", None) or str(exc)
        raise OutputError(f"{path}: not a sound file this build can read ({reason})") from None
    except av.FFmpegError as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise OutputError(f"{path}: not a sound file this build can read ({reason})") from None
    if not source.streams.audio:
        source.close()
        raise OutputError(f"{path}: has no sound track")
    return source


def _mux_sound(
    container: OutputContainer,
    audio: tuple[InputContainer, AudioStream, AudioStream],
    seconds: float,
) -> None:
    """Encode the sound (``_sound_stream``'s triple) into ``container``; close its source.

    The sound is cut at ``seconds``, the video's length.
    """
    source, in_stream, out = audio
    resampler = av.AudioResampler(format=out.format.name, layout=out.layout.name, rate=out.rate)
    done = False
    for frame in source.decode(in_stream):
        if frame.time is not None and frame.time >= seconds:
            break
        for rf in resampler.resample(frame):
            for packet in out.encode(rf):
                container.mux(packet)
        done = True
    if done:
        for packet in out.encode(None):
            container.mux(packet)
    source.close()


def check_output(path: str | Path, size: tuple[int, int], audio: str | Path | None = None) -> str:
    """Check, before anything is rendered, that ``path`` can take this video; its kind.

    The type is known, H.264 and ProRes get even sizes, the folder exists, and the sound
    (when given) is a sound file the output can carry.

    Raises:
        OutputError: which of these fails, for the operator.
    """
    kind = video_kind(path)
    w, h = size
    if kind != "png-sequence" and (w % 2 or h % 2):
        raise OutputError(f"{path}: width and height must be even for video ({w}x{h})")
    parent = Path(path).parent
    if not parent.is_dir():
        raise OutputError(f"cannot write {path}: the folder {parent} does not exist")
    if audio is not None:
        _refuse_sound(kind, path)
        open_sound(audio).close()
    return kind


def _refuse_sound(kind: str, path: str | Path) -> None:
    if kind == "png-sequence":
        raise OutputError(f"{path}: a PNG sequence cannot carry sound")


def _sound_stream(
    container: OutputContainer, audio: str | Path, kind: str, path: str | Path
) -> tuple[InputContainer, AudioStream, AudioStream]:
    """The sound file and a stream for it in ``container`` (AAC in .mp4, PCM in .mov)."""
    _refuse_sound(kind, path)
    source = open_sound(audio)
    in_stream = source.streams.audio[0]
    codec = "aac" if kind == "h264" else "pcm_s16le"
    out = container.add_stream(codec, rate=in_stream.rate)
    assert isinstance(out, AudioStream)  # an audio codec gives an audio stream
    # WAV files often carry an unordered layout ("1 channels") that the AAC encoder
    # refuses; name the standard layout for the channel count instead.
    channels = in_stream.codec_context.channels
    out.layout = {1: "mono", 2: "stereo"}.get(channels, in_stream.layout.name)
    return source, in_stream, out


class VideoWriter:
    """Encodes RGB frames to a file.

    Args:
        path: output path; its suffix or pattern picks the format.
        size: (width, height); both even for H.264 and ProRes.
        fps: frames per second (an integer or a float such as 29.97).
        audio: optional WAV (or any file PyAV can decode) to mux as the sound track.
        preset: x264 speed preset for .mp4 ('ultrafast' ... 'veryslow').
        crf: x264 quality for .mp4 (lower is better).
    """

    def __init__(
        self,
        path: str | Path,
        size: tuple[int, int],
        fps: float,
        audio: str | Path | None = None,
        preset: str = DEFAULT_PRESET,
        crf: int = 18,
    ) -> None:
        """Open the output and its streams (and the sound file, when given)."""
        self.path = str(path)
        self.kind = check_output(path, size)
        self.size = size
        self.frames = 0
        w, h = size
        rate = Fraction(fps).limit_denominator(1001)
        self.container: OutputContainer | None
        try:
            if self.kind == "png-sequence":
                self.container = av.open(self.path, "w", format="image2")
                self.stream = self.container.add_stream("png", rate=rate)
                self.stream.pix_fmt = "rgb24"
            elif self.kind == "h264":
                self.container = av.open(self.path, "w", options={"movflags": "+faststart"})
                self.stream = self.container.add_stream(
                    "libx264", rate=rate, options={"preset": preset, "crf": str(crf)}
                )
                self.stream.pix_fmt = "yuv420p"
            else:
                self.container = av.open(self.path, "w")
                self.stream = self.container.add_stream(
                    "prores_ks", rate=rate, options={"profile": "3"}
                )
                self.stream.pix_fmt = "yuv422p10le"
        except (OSError, av.FFmpegError) as exc:
            raise _describe(exc, path) from None
        self.stream.width, self.stream.height = w, h
        self.stream.time_base = Fraction(1, 1) / rate
        self._audio: tuple[InputContainer, AudioStream, AudioStream] | None = None
        if audio is not None:
            self._audio = _sound_stream(self.container, audio, self.kind, self.path)

    def write(self, frame: np.ndarray) -> None:
        """Encode one (H, W, 3) uint8 RGB frame."""
        if self.container is None:
            raise OutputError(f"{self.path}: already closed")
        vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
        vf.pts = self.frames
        try:
            for packet in self.stream.encode(vf):
                self.container.mux(packet)
        except (OSError, av.FFmpegError) as exc:
            self._abandon()
            raise _describe(exc, self.path) from None
        self.frames += 1

    def _abandon(self) -> None:
        """After a failed write, touch the muxer no more.

        Libav crashes if a muxer that failed is asked to write again (seen with ENOSPC during the
        trailer).
        """
        self._failed_container = self.container  # keep it alive; never flush or close it
        self.container = None

    def close(self) -> None:
        """Flush the encoder (and mux the sound); safe to call more than once."""
        container = self.container
        if container is None:
            return
        try:
            for packet in self.stream.encode(None):
                container.mux(packet)
            if self._audio is not None:
                _mux_sound(
                    container, self._audio, self.frames / float(self.stream.average_rate or 1)
                )
            container.close()
        except (OSError, av.FFmpegError) as exc:
            self._abandon()
            raise _describe(exc, self.path) from None
        self.container = None

    def __enter__(self) -> VideoWriter:
        """Use the writer as a context manager that closes it."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the writer (finishing the file), whether or not the block raised."""
        self.close()


def join_parts(
    parts: list[Path], output: str | Path, fps: float, audio: str | Path | None = None
) -> int:
    """Join encoded parts (.mp4 or .mov, each starting on a key frame) into ``output``.

    The packets are copied, never decoded or encoded again, each part's time stamps moved
    on by the frames before it: an exact frame count times the frame's duration, so no
    rounding accumulates over thousands of parts (FFmpeg's concat demuxer rounds each part's
    length to a microsecond, which drifts against the sound). The sound, when given, is
    encoded once over the whole film, as ``VideoWriter`` does. The file is written beside
    ``output`` and renamed over it once whole. Returns the number of video frames.

    Raises:
        PartError: a part cannot be read (its path is ``part``).
        OutputError: the output cannot be written.
    """
    kind = video_kind(output)
    if kind == "png-sequence":
        raise OutputError(f"{output}: PNG frames are written in place, not joined")
    rate = Fraction(fps).limit_denominator(1001)
    final = Path(output)
    temporary = final.with_name(f".{final.name}.joining{final.suffix}")
    frames = 0
    try:
        options = {"movflags": "+faststart"} if kind == "h264" else {}
        container = av.open(str(temporary), "w", options=options)
    except (OSError, av.FFmpegError) as exc:
        raise _describe(exc, output) from None
    try:
        # The streams first (a muxer takes no new stream once it has written): the video's
        # from the first part, the sound's from its file.
        stream = _template(container, parts[0])
        sound = None if audio is None else _sound_stream(container, audio, kind, output)
        for part in parts:
            try:
                source = av.open(str(part))
            except (OSError, av.FFmpegError) as exc:
                raise PartError(part, exc) from None
            try:
                video = source.streams.video[0]
                tb = video.time_base or Fraction(1, 90000)
                # The frames before this part, in its own time base (exact: a fraction).
                offset = round(Fraction(frames) / rate / tb)
                count = 0
                for packet in source.demux(video):
                    if packet.dts is None:  # (the demuxer's flush packet)
                        continue
                    packet.pts = None if packet.pts is None else packet.pts + offset
                    packet.dts += offset
                    packet.stream = stream
                    container.mux(packet)
                    count += 1
            except (av.FFmpegError, IndexError, ValueError) as exc:
                raise PartError(part, exc) from None
            finally:
                source.close()
            frames += count
        if sound is not None:
            _mux_sound(container, sound, float(frames / rate))
        container.close()
        temporary.replace(final)
    except (OSError, av.FFmpegError) as exc:
        raise _describe(exc, output) from None
    finally:
        # (A muxer that failed is never asked to write its trailer: libav can crash then.)
        temporary.unlink(missing_ok=True)
    return frames


def _template(container: OutputContainer, part: Path) -> VideoStream:
    """A video stream in ``container`` made like the first part's (codec, size, rate)."""
    try:
        with av.open(str(part)) as source:
            return container.add_stream_from_template(source.streams.video[0])
    except (OSError, av.FFmpegError, IndexError) as exc:
        raise PartError(part, exc) from None


class PartError(OutputError):
    """A part of a distributed render that cannot be read.

    Attributes:
        part: its path.
    """

    def __init__(self, part: Path, exc: BaseException) -> None:
        """Name the part and the reason (FFmpeg's words, not its error number)."""
        reason = getattr(exc, "strerror", None) or str(exc)
        super().__init__(f"{part}: a part that cannot be read ({reason})")
        self.part = Path(part)
