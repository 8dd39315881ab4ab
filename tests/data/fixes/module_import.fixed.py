import app.websocket_core
import app.websocket_core as wc
from . import websocket_manager as ws


async def handle_connect(websocket, user_context):
    manager = ws.create_websocket_manager(user_context)
    await manager.connect(user_context.user_id, websocket)


async def handle_message(user_context, payload):
    await ws.create_websocket_manager(user_context).send_to_user(user_context.user_id, payload)
    return wc.create_websocket_manager(user_context), app.websocket_core.create_websocket_manager(user_context)
