"""The JSON-lines loop shared by the Python client drivers (slix_driver.py, aioxmpp_driver.py).

A test writes one command a line ({"id": n, "cmd": ...}); the driver answers each with
{"event": "ack", "id": n, ...} or {"event": "error", "id": n, "error": ...}, and emits unsolicited
events (presence, message, ...) as they happen. Commands start in order and run concurrently, so a
command that waits for a reply does not hold up the events.
"""
import asyncio
import json
import sys


def emit(obj):
    sys.stdout.write(json.dumps(obj) + '\n')
    sys.stdout.flush()


class Traffic:
    """Every stanza a client sent and received, serialized, for the test's request log."""

    def __init__(self):
        self.sent = []
        self.received = []

    def as_reply(self):
        return {'sent': list(self.sent), 'received': list(self.received)}


async def serve(handle, describe_error, shutdown):
    """Reads commands from stdin until it closes; `handle(cmd)` returns the ack's fields,
    `describe_error(exc)` turns a failure into the error event's fields, `shutdown()` runs last."""
    loop = asyncio.get_event_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    emit({'event': 'ready'})
    tasks = set()

    async def run_one(cmd):
        try:
            result = await handle(cmd)
            emit(dict(result, event='ack', id=cmd.get('id')))
        except Exception as e:  # noqa: BLE001 - every failure goes back to the test as an event
            emit(dict(describe_error(e), event='error', id=cmd.get('id')))

    while True:
        line = await reader.readline()
        if not line:
            break
        line = line.strip()
        if not line:
            continue
        t = asyncio.ensure_future(run_one(json.loads(line)))
        tasks.add(t)
        t.add_done_callback(tasks.discard)
    try:
        await asyncio.wait_for(shutdown(), 2)
    except Exception:  # noqa: BLE001 - the process ends anyway
        pass
