import app.ws as ws
from app.ws import create_websocket_manager


def build_notifier(channel, *, user_context):
    return channel, user_context


class Service:
    def __init__(self, user_context):
        self.user_context = user_context
        self.manager = create_websocket_manager()
        self.notifier = build_notifier("events")

    def run(self):
        return ws.create_websocket_manager(), create_websocket_manager(None)


def no_context():
    return create_websocket_manager()
