"""The public-API emulator and client fixtures, shared with the client's own tests."""

from tests.integration.public_api.conftest import api, make_client, timer

__all__ = ["api", "make_client", "timer"]
