"""Shader programs from files: ``#include``, errors with true file names and lines, hot reload.

Sources live in ``shaders/``; ``#include "name.glsl"`` pulls in ``shaders/include/name.glsl``.
Each included chunk is wrapped in ``#line`` directives with its own source-string number, so
the driver's error messages (``0:12(5): error ...`` from Mesa, ``0(12) : error ...`` from
NVIDIA) are translated back to ``include/noise.glsl:12``.

Hot reload (Bonzomatic's rule): a watcher thread only notices changed files and queues them;
the render thread calls ``reload_pending`` which compiles the new program first and swaps it in
only on success. A broken edit keeps the last good program running and leaves its error in
``errors`` (for the overlay and the log); fixing the file clears it.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import moderngl

log = logging.getLogger(__name__)

SHADER_DIR = Path(__file__).resolve().parents[2] / "shaders"
_INCLUDE = re.compile(r'^\s*#include\s+"([^"]+)"\s*$')
_ERR_MESA = re.compile(r"(\d+):(\d+)\(\d+\)")
_ERR_NV = re.compile(r"(\d+)\((\d+)\)")


class ShaderError(RuntimeError):
    """A shader that does not compile or link; the message names files and lines."""


@dataclass
class Source:
    """A shader stage's text after includes, and the files behind its source-string numbers."""

    text: str
    files: list[str] = field(default_factory=list)

    def locate(self, message: str) -> str:
        """Rewrite 'N:L(c)' or 'N(L)' references in a driver message as 'file:L'."""

        def sub(m: re.Match[str]) -> str:
            idx, line = int(m.group(1)), int(m.group(2))
            name = self.files[idx] if idx < len(self.files) else f"<source {idx}>"
            return f"{name}:{line}"

        out = _ERR_MESA.sub(sub, message)
        return out if out != message else _ERR_NV.sub(sub, message)


def load_source(
    path: Path, root: Path = SHADER_DIR, defines: dict[str, int] | None = None
) -> Source:
    """Read ``path`` and expand its includes (one level of nesting is enough, and cycles
    are refused); ``defines`` are declared right after ``#version``."""
    src = Source(text="", files=[])

    def expand(p: Path, stack: tuple[Path, ...]) -> list[str]:
        if p in stack:
            raise ShaderError(f"{p.name}: #include cycle")
        try:
            lines = p.read_text().splitlines()
        except OSError as exc:
            raise ShaderError(f"cannot read shader {p}: {exc.strerror or exc}") from None
        idx = len(src.files)
        src.files.append(str(p.relative_to(root)) if p.is_relative_to(root) else str(p))
        out: list[str] = []
        for n, line in enumerate(lines, start=1):
            m = _INCLUDE.match(line)
            if m is None:
                out.append(line)
                continue
            inc = root / "include" / m.group(1)
            if not inc.is_file():
                raise ShaderError(f"{src.files[idx]}:{n}: cannot include {m.group(1)!r}")
            out.append(f"#line 1 {len(src.files)}")
            out.extend(expand(inc, (*stack, p)))
            out.append(f"#line {n + 1} {idx}")
        return out

    lines = expand(path, ())
    # #version must stay first; every other line keeps its number.
    if lines and lines[0].startswith("#version"):
        head = [f"#define {k} {v}" for k, v in sorted((defines or {}).items())]
        lines[1:1] = [*head, "#line 2 0"]
    src.text = "\n".join(lines) + "\n"
    return src


def compile_program(
    ctx: moderngl.Context,
    vertex: Path,
    fragment: Path,
    root: Path = SHADER_DIR,
    defines: dict[str, int] | None = None,
) -> moderngl.Program:
    """Compile and link a program from two files; raises ShaderError with file:line.

    ``defines`` become ``#define NAME VALUE`` lines after ``#version`` (line numbers kept).
    """
    vs = load_source(vertex, root, defines)
    fs = load_source(fragment, root, defines)
    try:
        return ctx.program(vertex_shader=vs.text, fragment_shader=fs.text)
    except Exception as exc:  # moderngl raises a generic Error carrying the driver's log
        text = str(exc)
        where = fs if "fragment" in text.lower() else vs
        # Keep the driver's message, without its blank and '=====' separator lines.
        lines = [ln for ln in text.splitlines() if ln.strip() and set(ln.strip()) != {"="}]
        raise ShaderError(where.locate("\n".join(lines)).strip()) from None


class ShaderLibrary:
    """The programs the renderer uses, keyed by name, with compile-first hot reload.

    Args:
        ctx: the GL context.
        programs: name -> (vertex file, fragment file), relative to ``root``.
        root: the shader folder.
        defines: preprocessor constants for every program (the quality tier).
    """

    def __init__(
        self,
        ctx: moderngl.Context,
        programs: dict[str, tuple[str, str]],
        root: Path = SHADER_DIR,
        defines: dict[str, int] | None = None,
    ) -> None:
        self.ctx = ctx
        self.root = root
        self.defines = dict(defines or {})
        self.specs = dict(programs)
        self.programs: dict[str, moderngl.Program] = {}
        self.errors: dict[str, str] = {}
        self.generation = 0
        self._pending: queue.SimpleQueue[Path] = queue.SimpleQueue()
        for name in self.specs:
            self.programs[name] = self._compile(name)  # at start-up a broken shader is fatal

    def _compile(self, name: str) -> moderngl.Program:
        vert, frag = self.specs[name]
        return compile_program(
            self.ctx, self.root / vert, self.root / frag, self.root, self.defines
        )

    def __getitem__(self, name: str) -> moderngl.Program:
        return self.programs[name]

    def files(self) -> set[Path]:
        """Every file the programs read, includes included."""
        out: set[Path] = set()
        for vert, frag in self.specs.values():
            for f in (vert, frag):
                out.add(self.root / f)
        out.update((self.root / "include").glob("*.glsl"))
        return out

    def notify(self, path: Path) -> None:
        """Queue a changed file (thread-safe: the watcher calls this)."""
        self._pending.put(path)

    def reload_pending(self) -> list[str]:
        """On the render thread: recompile what changed, swap only what compiled.

        Returns:
            The names of the programs swapped in.
        """
        changed = False
        while True:
            try:
                self._pending.get_nowait()
                changed = True
            except queue.Empty:
                break
        return self.reload_all() if changed else []

    def reload_all(self) -> list[str]:
        """Recompile every program; keep the old one wherever the new one fails."""
        swapped = []
        for name in self.specs:
            try:
                new = self._compile(name)
            except ShaderError as exc:
                if self.errors.get(name) != str(exc):
                    log.error(
                        "shader %s failed to compile, keeping the last good one: %s", name, exc
                    )
                self.errors[name] = str(exc)
                continue
            old = self.programs[name]
            self.programs[name] = new
            old.release()
            if self.errors.pop(name, None) is not None:
                log.info("shader %s compiles again", name)
            swapped.append(name)
        if swapped:
            self.generation += 1
        return swapped

    @property
    def error_text(self) -> str:
        """All current compile errors, one per line ('' when every program is good)."""
        return "\n".join(f"{n}: {e}" for n, e in sorted(self.errors.items()))


class ShaderWatcher(threading.Thread):
    """Polls the shader files' modification times and queues changes; never touches GL."""

    def __init__(self, library: ShaderLibrary, interval: float = 0.25) -> None:
        super().__init__(name="shader-watcher", daemon=True)
        self.library = library
        self.interval = interval
        self._halt = threading.Event()
        self._mtimes = self._scan()

    def _scan(self) -> dict[Path, float]:
        out = {}
        for f in self.library.files():
            try:
                out[f] = f.stat().st_mtime_ns
            except OSError:
                out[f] = -1
        return out

    def poll_once(self) -> list[Path]:
        """Compare with the last scan; queue and return the changed files."""
        now = self._scan()
        changed = [f for f, t in now.items() if self._mtimes.get(f) != t]
        self._mtimes = now
        for f in changed:
            self.library.notify(f)
        return changed

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            self.poll_once()

    def stop(self) -> None:
        self._halt.set()
