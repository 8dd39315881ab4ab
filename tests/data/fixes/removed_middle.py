from app.ws import create_websocket_manager
from app.legacy import (
    helper,
    get_websocket_manager,  # deprecated
    other,
)
from app.more import (
    thing,
    get_websocket_manager as gwm2,
)


async def handle(user_context):
    return get_websocket_manager(), gwm2(), helper, other, thing
