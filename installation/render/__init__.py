"""Rendering: the one GL context, shaders from files, the tapestry's passes."""
