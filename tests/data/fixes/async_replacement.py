# fix-options: {"deprecated-accessors": {"get_websocket_manager": "await create_websocket_manager"}}
from app.ws import get_websocket_manager


async def handle(user_context, payload):
    manager = get_websocket_manager()
    await get_websocket_manager().send_to_user(user_context.user_id, payload)
    return [manager, get_websocket_manager()]


def sync_handler(user_context):
    return get_websocket_manager()


async def comprehension(user_context, users):
    return [get_websocket_manager() for _ in users]
