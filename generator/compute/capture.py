"""Compute stage, worker side: what a post's cells print, per cell, bounded in size.

The worker's stdout and stderr (file descriptors 1 and 2, so C code and child processes
too) go to one pipe that a thread reads; a random token written at the end of each cell
marks where the cell's output ends.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import threading


class Capture:
    """stdout and stderr of the worker and its children, per cell, bounded in size."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.token = os.urandom(16).hex().encode()
        read_end, self.write_end = os.pipe()
        os.dup2(self.write_end, 1)
        os.dup2(self.write_end, 2)
        # Line-buffered text streams on the pipe: print() and C-level writes interleave.
        self.out, self.err = (
            io.TextIOWrapper(
                io.BufferedWriter(io.FileIO(fd, "w", closefd=False)),
                encoding="utf-8",
                errors="backslashreplace",
                line_buffering=True,
            )
            for fd in (1, 2)
        )
        sys.stdout, sys.stderr = self.out, self.err
        self.lock = threading.Lock()
        self.kept = bytearray()
        self.dropped = 0
        self.cells: list[bytes] = []
        self.cell_ended = threading.Condition(self.lock)
        threading.Thread(target=self._read, args=(read_end,), daemon=True).start()

    def _add(self, data: bytes) -> None:
        room = max(0, self.limit - len(self.kept))
        self.kept += data[:room]
        self.dropped += max(0, len(data) - room)

    def _read(self, fd: int) -> None:
        pending = b""
        keep = len(self.token) - 1
        while chunk := os.read(fd, 1 << 16):
            pending += chunk
            with self.lock:
                while (at := pending.find(self.token)) >= 0:
                    self._add(pending[:at])
                    pending = pending[at + len(self.token) :]
                    note = f"\n[output truncated: {self.dropped:,} more bytes]\n"
                    self.cells.append(bytes(self.kept) + (note.encode() if self.dropped else b""))
                    self.kept, self.dropped = bytearray(), 0
                    self.cell_ended.notify_all()
                if len(pending) > keep:
                    self._add(pending[:-keep])
                    pending = pending[-keep:]

    def end_cell(self) -> str:
        for stream in (self.out, self.err):
            with contextlib.suppress(Exception):
                stream.flush()
        with self.lock:
            wanted = len(self.cells) + 1
        os.write(self.write_end, self.token)  # outside the lock: the reader needs it to drain
        with self.lock:
            self.cell_ended.wait_for(lambda: len(self.cells) >= wanted, timeout=10)
            text = self.cells[-1] if len(self.cells) >= wanted else bytes(self.kept)
        return text.decode("utf-8", errors="replace")
