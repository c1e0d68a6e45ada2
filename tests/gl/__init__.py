"""GL tests: shaders, the tapestry, stills and sketches on a headless context (EGL)."""
