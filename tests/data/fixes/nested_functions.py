from app.ws import get_websocket_manager


def outer(ctx):
    def middle():
        def inner():
            return get_websocket_manager()
        return inner
    return middle


def other(request):
    user_context = request.user_context
    return get_websocket_manager()


def too_late(request):
    manager = get_websocket_manager()
    user_context = request.user_context
    return manager, user_context
