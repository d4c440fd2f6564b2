"""One fix shared by every place that executes notebooks: kernel clients wait in short slices.

Used by the book build (``decondl_build``) and by the Colab-like test
(``tests/colab_runtime/harness.py``).
"""

from __future__ import annotations

#: Longest single wait of the build's kernel clients on a socket (see patient_kernel_channels).
POLL_SLICE_S = 1.0


def patient_kernel_channels() -> None:
    """Make the kernel clients that execute the pages wait on their sockets in short slices.

    Seen here (2026-12-02, in a book build and in the Colab-like test): a kernel had run a
    cell, replied and gone idle, while nbclient still waited for the reply until the cell's
    timeout (30 minutes), failing the build. Each new poll of a zmq socket first asks whether
    a message is waiting, so waiting in slices of ``POLL_SLICE_S`` picks up a reply whose
    wake-up was missed, and costs nothing otherwise. It patches jupyter_client's async socket
    channel for the whole process.
    """
    import time
    from queue import Empty

    from jupyter_client.channels import AsyncZMQSocketChannel

    async def get_msg(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = POLL_SLICE_S if deadline is None else deadline - time.monotonic()
            if await self.socket.poll(int(1000 * max(0.0, min(POLL_SLICE_S, left)))):
                return await self._recv()
            if deadline is not None and time.monotonic() >= deadline:
                raise Empty

    AsyncZMQSocketChannel.get_msg = get_msg
