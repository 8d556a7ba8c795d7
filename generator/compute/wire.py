"""Compute stage: the frames workers and the build process exchange.

Each message is JSON preceded by its length (4 bytes, network order). The build
process, workers and the processes an interact's frames are computed in all speak it.
"""

from __future__ import annotations

import json
import socket
import struct
from typing import Any

_HEADER = struct.Struct("!I")


def encode_frame(message: dict[str, Any]) -> bytes:
    data = json.dumps(message, ensure_ascii=False, allow_nan=False).encode("utf-8")
    return _HEADER.pack(len(data)) + data


def decode_frames(buffer: bytearray) -> list[dict[str, Any]]:
    """Pop every complete frame off the front of ``buffer``."""
    messages = []
    while len(buffer) >= _HEADER.size:
        (size,) = _HEADER.unpack_from(buffer)
        if len(buffer) < _HEADER.size + size:
            break
        data = bytes(buffer[_HEADER.size : _HEADER.size + size])
        del buffer[: _HEADER.size + size]
        messages.append(json.loads(data))
    return messages


def recv_frame(sock: socket.socket) -> dict[str, Any]:
    buffer = bytearray()
    while True:
        messages = decode_frames(buffer)
        if messages:
            return messages[0]
        chunk = sock.recv(1 << 16)
        if not chunk:
            raise EOFError("build process went away")
        buffer += chunk
