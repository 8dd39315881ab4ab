# fix-options: {"extend-deprecated-accessors": {"get_bridge": "create_bridge"}}
from app.ws import create_bridge, create_websocket_manager
from app.ws import (
    Event,
)
from app.ws import WebSocketMessage, Other


def handle(user_context):
    return create_websocket_manager(user_context), create_bridge(user_context), create_websocket_manager(user_context), create_bridge(user_context), Event, WebSocketMessage, Other
