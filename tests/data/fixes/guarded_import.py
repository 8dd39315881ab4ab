try:
    from app.factories import create_websocket_manager
except ImportError:  # pragma: no cover
    create_websocket_manager = None
from app.legacy import get_websocket_manager, settings


def handle(user_context):
    return get_websocket_manager(), settings
