# fix-options: {"unsafe": true}
from app.ws import create_websocket_manager


async def emit_progress(run_id, percent, user_context=None):
    return notify(user_context, run_id, percent)


async def run(user_context):
    await emit_progress(user_context.run_id, 10)
    await emit_progress(user_context.run_id, 20, None)
    return create_websocket_manager(user_context=None)
