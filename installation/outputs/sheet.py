"""Contact sheets: labelled stills side by side in one image, for review and the README."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

BACKGROUND = (18, 16, 14)
INK = (226, 218, 200)


def contact_sheet(
    stills: list[tuple[str, np.ndarray]],
    columns: int = 3,
    width: int = 480,
    title: str = "",
) -> np.ndarray:
    """Lay ``stills`` out in a grid.

    Each scaled to ``width`` pixels (area averaging) with its label under it, and an optional title
    above.

    Args:
        stills: (label, (H, W, 3) uint8 image) pairs, in reading order.
        columns: stills per row.
        width: width of each still on the sheet, in pixels.
        title: a line above the grid ('' for none).

    Returns:
        The sheet as an (H, W, 3) uint8 array.
    """
    if not stills:
        raise ValueError("a contact sheet needs at least one still")
    columns = max(1, min(columns, len(stills)))
    h0, w0 = stills[0][1].shape[:2]
    height = max(1, round(width * h0 / w0))
    font_size = max(12, width // 24)
    font = ImageFont.load_default(size=font_size)
    pad = max(8, width // 40)
    label_h = font_size + pad
    title_h = font_size + 2 * pad if title else 0
    rows = -(-len(stills) // columns)
    sheet = Image.new(
        "RGB",
        (columns * width + (columns + 1) * pad, title_h + rows * (height + label_h + pad) + pad),
        BACKGROUND,
    )
    draw = ImageDraw.Draw(sheet)
    if title:
        draw.text((pad, pad), title, fill=INK, font=font)
    for n, (label, image) in enumerate(stills):
        r, c = divmod(n, columns)
        x = pad + c * (width + pad)
        y = title_h + pad + r * (height + label_h + pad)
        thumb = Image.fromarray(np.ascontiguousarray(image)).resize(
            (width, height), Image.Resampling.BOX
        )
        sheet.paste(thumb, (x, y))
        draw.text((x, y + height + pad // 3), label, fill=INK, font=font)
    return np.asarray(sheet, dtype=np.uint8)
