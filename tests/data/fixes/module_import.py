import app.websocket_core
import app.websocket_core as wc
from . import websocket_manager as ws


async def handle_connect(websocket, user_context):
    manager = ws.get_websocket_manager()
    await manager.connect(user_context.user_id, websocket)


async def handle_message(user_context, payload):
    await ws.get_websocket_manager().send_to_user(user_context.user_id, payload)
    return wc.get_websocket_manager(), app.websocket_core.get_websocket_manager()
