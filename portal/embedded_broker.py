"""The embedded broker: kombu's filesystem transport, with messages written atomically.

kombu's writer creates the message file and then fills it, while a consumer may already move and read it — an
empty read kills the worker (JSONDecodeError). Here a message is written beside the queue and renamed into it,
so a consumer only ever sees complete messages. Registered as the `portalfs://` transport.
"""

import os
import uuid
from time import monotonic

from kombu.transport import TRANSPORT_ALIASES, filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        staging = os.path.join(os.path.dirname(os.path.abspath(self.data_folder_out)), "staging")
        os.makedirs(staging, exist_ok=True)
        temporary = os.path.join(staging, name)
        with open(temporary, "wb") as f:
            f.write(str_to_bytes(dumps(payload)))
        os.replace(temporary, os.path.join(self.data_folder_out, name))  # atomic on one filesystem


class Transport(filesystem.Transport):
    Channel = Channel


TRANSPORT_ALIASES["portalfs"] = "portal.embedded_broker:Transport"
