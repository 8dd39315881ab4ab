# fix-options: {"extend-deprecated-accessors": {"get_bridge": "create_bridge"}}
from app.ws import create_bridge, create_websocket_manager
from app.ws import (
    Event,
    get_websocket_manager,  # old
    get_bridge,
)
from app.ws import WebSocketMessage, get_websocket_manager as gwm, get_bridge as gb, Other


def handle(user_context):
    return get_websocket_manager(), get_bridge(), gwm(), gb(), Event, WebSocketMessage, Other
