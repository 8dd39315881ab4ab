import logging
from app.websocket_core import create_websocket_manager

log = logging.getLogger(__name__)


def handler(user_context):

    return create_websocket_manager(user_context), create_websocket_manager(user_context)
