from app.websocket_core import create_websocket_manager


async def run_agent(user_context: UserExecutionContext) -> None:
    manager = create_websocket_manager(user_context)
    await manager.send_event("agent_started")
