# fix-options: {"deprecated-accessors": {"get_websocket_manager": "app.factories.create_websocket_manager"}}
from app.legacy import settings
from app.factories import create_websocket_manager


def handle(user_context):
    return create_websocket_manager(user_context), settings
