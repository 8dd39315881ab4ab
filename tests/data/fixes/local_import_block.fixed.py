from app.ws import create_websocket_manager


def handle(user_context):
    if user_context:
        pass
    return create_websocket_manager(user_context)
