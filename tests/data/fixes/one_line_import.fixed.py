from app.other import helper, get_websocket_manager as legacy_get, other
from app.ws import create_websocket_manager as make, get_websocket_manager


def handle(ctx):
    return helper(legacy_get()), other


def handle_two(ctx):
    return make(ctx), get_websocket_manager()
