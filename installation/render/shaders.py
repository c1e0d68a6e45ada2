"""Shader programs from files: ``#include``, errors with true file names and lines, hot reload.

Sources live in ``shaders/``; ``#include "name.glsl"`` pulls in ``shaders/include/name.glsl``.
Each included chunk is wrapped in ``#line`` directives with its own source-string number, so
the driver's error messages (``0:12(5): error ...`` from Mesa, ``0(12) : error ...`` from
NVIDIA) are translated back to ``include/noise.glsl:12``.

A venue may name a folder of its own shaders (``[show] shader_dir``): a file there replaces
the built-in file of the same relative name (``cloth.frag``, ``include/common.glsl``), so an
artist can change the look without touching the installed program; every other file comes
from ``shaders/``. Errors in such a file name its full path.

Hot reload (Bonzomatic's rule): a watcher thread only notices changed files and queues them;
the render thread calls ``reload_pending`` which compiles the new program first and swaps it in
only on success. A broken edit keeps the last good program running and leaves its error in
``errors`` (for the operator's panel and the log); fixing the file clears it. One watcher
serves every library (the tapestry's and each window's presenter's).

moderngl (5.13) leaves the GL program and the stages that did compile behind when a program
fails to compile or link, so every broken edit in a long show would leak them. Sources are
therefore first compiled and linked with raw GL calls (``_Preflight``, through glvnd's
libGL on whichever context is current), which delete everything they made; moderngl only
gets sources that build.
"""

from __future__ import annotations

import ctypes
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


_VERTEX_SHADER, _FRAGMENT_SHADER = 0x8B31, 0x8B30
_COMPILE_STATUS, _LINK_STATUS, _INFO_LOG_LENGTH = 0x8B81, 0x8B82, 0x8B84


class _Preflight:
    """Compile and link GLSL with raw GL calls, keeping nothing.

    What failed, and why, in moderngl's words (see the module's docstring for why).
    """

    _lib: ctypes.CDLL | None = None
    _loaded = False

    @classmethod
    def gl(cls) -> ctypes.CDLL | None:
        """Load glvnd's libGL (it dispatches to the current context, EGL or GLX); None without."""
        if not cls._loaded:
            cls._loaded = True
            for name in ("libGL.so.1", "libOpenGL.so.0"):
                try:
                    lib = ctypes.CDLL(name)
                except OSError:
                    continue
                u, i, p = ctypes.c_uint, ctypes.c_int, ctypes.c_void_p
                sigs = {
                    "glCreateShader": (u, [u]),
                    "glShaderSource": (None, [u, i, ctypes.POINTER(ctypes.c_char_p), p]),
                    "glCompileShader": (None, [u]),
                    "glGetShaderiv": (None, [u, u, ctypes.POINTER(i)]),
                    "glGetShaderInfoLog": (None, [u, i, p, ctypes.c_char_p]),
                    "glDeleteShader": (None, [u]),
                    "glCreateProgram": (u, []),
                    "glAttachShader": (None, [u, u]),
                    "glLinkProgram": (None, [u]),
                    "glGetProgramiv": (None, [u, u, ctypes.POINTER(i)]),
                    "glGetProgramInfoLog": (None, [u, i, p, ctypes.c_char_p]),
                    "glDeleteProgram": (None, [u]),
                }
                try:
                    for fn, (res, args) in sigs.items():
                        getattr(lib, fn).restype = res
                        getattr(lib, fn).argtypes = args
                except AttributeError:  # not a GL 2.0 library: no preflight
                    continue
                cls._lib = lib
                break
        return cls._lib

    @classmethod
    def problem(cls, vertex: str, fragment: str) -> str | None:
        """Return moderngl's error text for these sources, or None when they build.

        None also when raw GL is not available here, and moderngl must find out itself.
        """
        gl = cls.gl()
        if gl is None:
            return None
        shaders = []
        try:
            for kind, name, text in (
                (_VERTEX_SHADER, "vertex_shader", vertex),
                (_FRAGMENT_SHADER, "fragment_shader", fragment),
            ):
                sh = gl.glCreateShader(kind)
                if not sh:  # no current context that raw GL reaches
                    return None
                shaders.append(sh)
                gl.glShaderSource(sh, 1, (ctypes.c_char_p * 1)(text.encode()), None)
                gl.glCompileShader(sh)
                if not cls._status(gl.glGetShaderiv, sh, _COMPILE_STATUS):
                    log_text = cls._log(gl.glGetShaderiv, gl.glGetShaderInfoLog, sh)
                    return f"GLSL Compiler failed\n\n{name}\n{'=' * 17}\n{log_text}"
            prog = gl.glCreateProgram()
            if not prog:
                return None
            try:
                for sh in shaders:
                    gl.glAttachShader(prog, sh)
                gl.glLinkProgram(prog)
                if not cls._status(gl.glGetProgramiv, prog, _LINK_STATUS):
                    log_text = cls._log(gl.glGetProgramiv, gl.glGetProgramInfoLog, prog)
                    return f"GLSL Linker failed\n\n{log_text}"
            finally:
                gl.glDeleteProgram(prog)
        finally:
            for sh in shaders:
                gl.glDeleteShader(sh)
        return None

    @staticmethod
    def _status(get, name: int, pname: int) -> bool:
        value = ctypes.c_int(0)
        get(name, pname, ctypes.byref(value))
        return bool(value.value)

    @staticmethod
    def _log(get, info, name: int) -> str:
        size = ctypes.c_int(0)
        get(name, _INFO_LOG_LENGTH, ctypes.byref(size))
        buf = ctypes.create_string_buffer(max(size.value, 1))
        info(name, len(buf), None, buf)
        return buf.value.decode(errors="replace")


def shader_dir_problem(folder: str | Path | None) -> str:
    """Why a venue's shader folder cannot be used ('' when it can, or when none is set)."""
    if not folder:
        return ""
    path = Path(folder)
    if not path.exists():
        return f"show.shader_dir: the folder {str(path)!r} does not exist"
    if not path.is_dir():
        return f"show.shader_dir: {str(path)!r} is not a folder"
    return ""


def resolve(name: str, root: Path = SHADER_DIR, overrides: Path | None = None) -> Path:
    """The file that supplies the shader ``name`` (relative, e.g. 'include/common.glsl').

    The override folder's when it has one, else the built-in one.
    """
    if overrides is not None:
        own = overrides / name
        if own.is_file():
            return own
    return root / name


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
    path: Path,
    root: Path = SHADER_DIR,
    defines: dict[str, int] | None = None,
    overrides: Path | None = None,
) -> Source:
    """Read ``path``, expand its includes and declare ``defines`` right after ``#version``.

    One level of nesting is enough, and cycles are refused. Includes come from ``overrides/include``
    when the file is there, else ``root/include``.
    """
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
            inc = resolve(f"include/{m.group(1)}", root, overrides)
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
    overrides: Path | None = None,
) -> moderngl.Program:
    """Compile and link a program from two files; raises ShaderError with file:line.

    ``defines`` become ``#define NAME VALUE`` lines after ``#version`` (line numbers kept);
    ``overrides`` is a folder whose include files replace the built-in ones.
    """
    vs = load_source(vertex, root, defines, overrides)
    fs = load_source(fragment, root, defines, overrides)
    try:
        # Checked first: moderngl would leak the GL objects of a program that fails.
        failed = _Preflight.problem(vs.text, fs.text)
        if failed is not None:
            raise ShaderError(failed)
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
        overrides: a folder whose files replace those of ``root`` with the same relative
            names (a venue's own shaders); it may be missing (nothing is replaced until
            files appear there).

    At start-up a broken built-in shader is fatal (``ShaderError``); a broken override is
    not: that program starts from the built-in files, with the error in ``errors``.
    """

    def __init__(
        self,
        ctx: moderngl.Context,
        programs: dict[str, tuple[str, str]],
        root: Path = SHADER_DIR,
        defines: dict[str, int] | None = None,
        overrides: Path | None = None,
    ) -> None:
        """Compile every program (see the class docstring for what a failure does)."""
        self.ctx = ctx
        self.root = root
        self.overrides = Path(overrides) if overrides else None
        self.defines = dict(defines or {})
        self.specs = dict(programs)
        self.programs: dict[str, moderngl.Program] = {}
        self.errors: dict[str, str] = {}
        self.generation = 0
        self._pending: queue.SimpleQueue[Path] = queue.SimpleQueue()
        try:
            for name in self.specs:
                self.programs[name] = self._first(name)
        except ShaderError:
            self.release()  # what compiled before the failure must not outlive it
            raise

    def _first(self, name: str) -> moderngl.Program:
        try:
            return self._compile(name)
        except ShaderError as exc:
            if self.overrides is None:
                raise
            # An artist's broken file must not stop the show: start from the built-in one.
            fallback = self._compile(name, overrides=False)
            self.errors[name] = str(exc)
            log.error("shader %s failed to compile, using the built-in one: %s", name, exc)
            return fallback

    def _compile(self, name: str, overrides: bool = True) -> moderngl.Program:
        vert, frag = self.specs[name]
        folder = self.overrides if overrides else None
        return compile_program(
            self.ctx,
            resolve(vert, self.root, folder),
            resolve(frag, self.root, folder),
            self.root,
            self.defines,
            folder,
        )

    def __getitem__(self, name: str) -> moderngl.Program:
        """The current program ``name``."""
        return self.programs[name]

    def files(self) -> set[Path]:
        """Every file that may feed the programs, includes included.

        The built-in ones and, with an override folder, the same names there (present or not, so
        that a file that appears or vanishes is noticed) and its own include files.
        """
        names = {f for spec in self.specs.values() for f in spec}
        folders = [self.root] if self.overrides is None else [self.root, self.overrides]
        for folder in folders:
            names.update(f"include/{p.name}" for p in (folder / "include").glob("*.glsl"))
        return {folder / name for folder in folders for name in names}

    def notify(self, path: Path) -> None:
        """Queue a changed file (thread-safe: the watcher calls this)."""
        self._pending.put(path)

    def has_pending(self) -> bool:
        """Whether the watcher has queued changed files that ``reload_pending`` has not taken."""
        return not self._pending.empty()

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
        """Recompile every program; keep the old one wherever the new one fails.

        The programs swapped out are released (whoever drew with them must notice that the program
        changed, by identity, and remake its vertex arrays).
        """
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

    def release(self) -> None:
        """Free every program (the library is unusable after; calling it twice is safe)."""
        for prog in self.programs.values():
            prog.release()
        self.programs.clear()


class ShaderWatcher(threading.Thread):
    """Polls the shader files' modification times and queues changes; never touches GL.

    Args:
        libraries: the libraries to watch (more may be added with ``watch``); each is told
            only about the files it reads.
        interval: seconds between polls.
    """

    def __init__(self, *libraries: ShaderLibrary, interval: float = 0.25) -> None:
        """Watch the files of ``libraries``; ``start`` the thread to poll them."""
        super().__init__(name="shader-watcher", daemon=True)
        self.interval = interval
        self._lock = threading.Lock()
        self._libraries: list[ShaderLibrary] = list(libraries)
        self._halt = threading.Event()
        self._mtimes = self._scan()

    @property
    def library(self) -> ShaderLibrary:
        """The first library watched."""
        return self._libraries[0]

    def watch(self, library: ShaderLibrary) -> None:
        """Watch one more library (its files as they are now are the baseline)."""
        with self._lock:
            if library not in self._libraries:
                self._libraries.append(library)
            for f, t in self._stat(library.files()).items():
                self._mtimes.setdefault(f, t)

    def unwatch(self, library: ShaderLibrary) -> None:
        """Stop telling ``library`` about changes."""
        with self._lock:
            if library in self._libraries:
                self._libraries.remove(library)

    @staticmethod
    def _stat(files: set[Path]) -> dict[Path, int]:
        out = {}
        for f in files:
            try:
                out[f] = f.stat().st_mtime_ns
            except OSError:
                out[f] = -1
        return out

    def _scan(self) -> dict[Path, int]:
        files: set[Path] = set()
        for lib in self._libraries:
            files |= lib.files()
        return self._stat(files)

    def poll_once(self) -> list[Path]:
        """Compare with the last scan; queue and return the changed (or vanished) files."""
        with self._lock:
            now = self._scan()
            changed = {f for f, t in now.items() if self._mtimes.get(f) != t}
            changed |= set(self._mtimes) - set(now)  # an include that was deleted
            self._mtimes = now
            for lib in self._libraries:
                mine = lib.files()
                for f in changed:
                    if f in mine or f not in now:  # a vanished file may have been anyone's
                        lib.notify(f)
        return sorted(changed)

    def run(self) -> None:
        """Poll every ``interval`` seconds until ``stop``."""
        while not self._halt.wait(self.interval):
            self.poll_once()

    def stop(self) -> None:
        """Ask the thread to end after its current poll."""
        self._halt.set()
