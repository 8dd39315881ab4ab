from app.ws import create_websocket_manager
from app.legacy import (
    helper,
    other,
)
from app.more import (
    thing,
)


async def handle(user_context):
    return create_websocket_manager(user_context), create_websocket_manager(user_context), helper, other, thing
