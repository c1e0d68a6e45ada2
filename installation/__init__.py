"""Canopy: the engine of Seraphina's canopy tapestry."""
