"""Just enough of PNG (RFC 2083) to check a downloaded chart: size, and the pixels themselves.

8-bit greyscale, RGB, grey+alpha and RGBA, not interlaced: what a browser's canvas writes.
"""

import struct
import zlib
from dataclasses import dataclass

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


@dataclass(frozen=True)
class Png:
    width: int
    height: int
    pixels: np.ndarray  # height x width x channels, uint8

    def rgb(self) -> np.ndarray:
        """Height x width x 3, alpha composited over white (greyscale spread to RGB)."""
        px = self.pixels.astype(np.float64)
        channels = px.shape[2]
        colour = px[..., :3] if channels >= 3 else np.repeat(px[..., :1], 3, axis=2)
        if channels in (2, 4):
            alpha = px[..., -1:] / 255.0
            colour = colour * alpha + 255.0 * (1.0 - alpha)
        return np.rint(colour).astype(np.uint8)


def chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, payload) of each chunk, checking each CRC."""
    if not data.startswith(SIGNATURE):
        raise ValueError("not a PNG: wrong signature")
    out, pos = [], len(SIGNATURE)
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        payload = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        if zlib.crc32(kind + payload) != crc:
            raise ValueError(f"bad CRC in chunk {kind!r}")
        out.append((kind, payload))
        pos += 12 + length
        if kind == b"IEND":
            break
    return out


def size(data: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk (the first chunk, by the standard)."""
    kind, payload = chunks(data)[0]
    if kind != b"IHDR":
        raise ValueError("first chunk is not IHDR")
    width, height = struct.unpack(">II", payload[:8])
    return width, height


def _unfilter_row(kind: int, row: np.ndarray, prior: np.ndarray, bpp: int) -> np.ndarray:
    if kind == 0:
        return row
    if kind == 1:  # Sub: a running sum along the row, channel by channel
        pixels = row.reshape(-1, bpp).astype(np.uint64)
        return (np.cumsum(pixels, axis=0) % 256).astype(np.uint8).reshape(-1)
    if kind == 2:  # Up
        return (row.astype(np.uint16) + prior).astype(np.uint8)
    out = bytearray(row.tobytes())
    up = prior.tobytes()
    for i in range(len(out)):
        left = out[i - bpp] if i >= bpp else 0
        above = up[i]
        if kind == 3:  # Average
            out[i] = (out[i] + ((left + above) >> 1)) & 0xFF
        elif kind == 4:  # Paeth
            corner = up[i - bpp] if i >= bpp else 0
            p = left + above - corner
            pa, pb, pc = abs(p - left), abs(p - above), abs(p - corner)
            pred = left if pa <= pb and pa <= pc else (above if pb <= pc else corner)
            out[i] = (out[i] + pred) & 0xFF
        else:
            raise ValueError(f"unknown PNG filter {kind}")
    return np.frombuffer(bytes(out), dtype=np.uint8)


def decode(data: bytes) -> Png:
    """The pixels of an 8-bit, non-interlaced PNG."""
    parts = chunks(data)
    ihdr = parts[0][1]
    width, height, depth, colour, _compression, _filter, interlace = struct.unpack(">IIBBBBB", ihdr)
    if depth != 8 or colour not in _CHANNELS or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}, {interlace=}")
    bpp = _CHANNELS[colour]
    raw = np.frombuffer(
        zlib.decompress(b"".join(p for kind, p in parts if kind == b"IDAT")), dtype=np.uint8
    )
    stride = width * bpp + 1
    if raw.size != stride * height:
        raise ValueError(f"IDAT holds {raw.size} bytes, {stride * height} expected")
    rows = raw.reshape(height, stride)
    pixels = np.empty((height, width * bpp), dtype=np.uint8)
    prior = np.zeros(width * bpp, dtype=np.uint8)
    for y in range(height):
        prior = _unfilter_row(int(rows[y, 0]), rows[y, 1:], prior, bpp)
        pixels[y] = prior
    return Png(width, height, pixels.reshape(height, width, bpp))
