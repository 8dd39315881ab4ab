from app.websocket_core import WebSocketMessage, get_websocket_manager


async def handle(user_context, message: WebSocketMessage):
    await get_websocket_manager().send_to_user(user_context.user_id, message)


async def cron():
    # no user context here: stays, so the old name stays imported
    await get_websocket_manager().broadcast("tick")
