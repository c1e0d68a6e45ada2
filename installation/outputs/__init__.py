"""Outputs: frames to pixels somewhere (video files, PNG stills; windows with the live show)."""
