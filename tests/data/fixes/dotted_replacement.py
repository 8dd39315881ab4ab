# fix-options: {"deprecated-accessors": {"get_websocket_manager": "app.factories.create_websocket_manager"}}
from app.legacy import get_websocket_manager, settings


def handle(user_context):
    return get_websocket_manager(), settings
