from app.websocket_core import (
    WebSocketMessage,
    create_websocket_manager,  # the old accessor
    send_json,
)
from app.other import helper


def handle(ctx, message: WebSocketMessage):
    send_json(create_websocket_manager(ctx), message)
    return helper(create_websocket_manager(ctx))
