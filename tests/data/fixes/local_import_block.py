from app.ws import create_websocket_manager


def handle(user_context):
    if user_context:
        from app.ws import get_websocket_manager
    return get_websocket_manager()
