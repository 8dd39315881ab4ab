from app.websocket_core import get_websocket_manager as gwm


async def run_agent(user_context: UserExecutionContext) -> None:
    manager = gwm()
    await manager.send_event("agent_started")
