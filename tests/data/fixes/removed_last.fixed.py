from app.ws import WebSocketMessage, create_websocket_manager
from app.legacy import (
    helper,
    get_websocket_manager as old_get,
)


def handle(user_context):
    return create_websocket_manager(user_context), WebSocketMessage, helper
