# fix-options: {"deprecated-accessors": {"get_websocket_manager": "await create_websocket_manager"}}
from app.ws import get_websocket_manager, create_websocket_manager


async def handle(user_context, payload):
    manager = await create_websocket_manager(user_context)
    await (await create_websocket_manager(user_context)).send_to_user(user_context.user_id, payload)
    return [manager, (await create_websocket_manager(user_context))]


def sync_handler(user_context):
    return get_websocket_manager()


async def comprehension(user_context, users):
    return [get_websocket_manager() for _ in users]
