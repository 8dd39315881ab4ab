from app.websocket_core import (
    WebSocketMessage,
    get_websocket_manager,  # the old accessor
    send_json,
)
from app.other import helper


def handle(ctx, message: WebSocketMessage):
    send_json(get_websocket_manager(), message)
    return helper(get_websocket_manager())
