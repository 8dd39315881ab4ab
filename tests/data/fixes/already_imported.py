import logging
from app.websocket_core import create_websocket_manager
from app.websocket_core import get_websocket_manager

log = logging.getLogger(__name__)


def handler(user_context):
    from app.websocket_core import get_websocket_manager as local_get

    return local_get(), get_websocket_manager()
