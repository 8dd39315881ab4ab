try:
    from app.factories import create_websocket_manager
except ImportError:  # pragma: no cover
    create_websocket_manager = None
from app.legacy import settings


def handle(user_context):
    return create_websocket_manager(user_context), settings
