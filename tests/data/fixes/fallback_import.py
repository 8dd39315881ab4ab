try:
    from app.ws import get_websocket_manager
except ImportError:
    from legacy.ws import get_websocket_manager


def handle(user_context):
    return get_websocket_manager()


def only_import_in_block(user_context):
    if user_context:
        from app.ws2 import get_websocket_manager as g2
    return g2()
