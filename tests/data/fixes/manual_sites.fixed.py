from app.ws import *
from app.websocket_core import get_websocket_manager

manager = get_websocket_manager()


class Handler:
    shared = get_websocket_manager()

    async def handle(self, message):
        await self.registry.get_websocket_manager().broadcast(message)


def no_context(user_id):
    return get_websocket_manager()


def with_args(user_context):
    return get_websocket_manager(timeout=3)


def object_method(user_context, hub):
    return hub.get_websocket_manager()


def star(user_context):
    return make_it(get_websocket_manager)


class Service:
    def __init__(self, user_context):
        self.user_context = user_context

    @classmethod
    def build(cls):
        return get_websocket_manager()
