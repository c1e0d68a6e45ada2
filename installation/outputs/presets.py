"""The x264 speed presets offline renders may use, and the one default.

Imported by the command line, the offline renderer and the video writer, so they cannot disagree.
"""

X264_PRESETS = (
    "ultrafast",
    "superfast",
    "veryfast",
    "faster",
    "fast",
    "medium",
    "slow",
    "slower",
    "veryslow",
)

DEFAULT_PRESET = "ultrafast"
"""x264 preset for .mp4. On two cores llvmpipe and x264 share the CPU, so the pipeline can
only approach the slower stage when encoding is cheap: ultrafast encodes tapestry frames at
~72 fps at 1280x720 (veryfast ~27 fps) at a larger file size; pass --preset for smaller files
or use .mov (ProRes) for masters."""
