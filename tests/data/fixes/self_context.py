from app.ws import get_websocket_manager


class AgentService:
    def __init__(self, user_context: UserExecutionContext) -> None:
        self.user_context = user_context

    async def execute(self, prompt):
        await get_websocket_manager().send_event("started", prompt)

        def on_done(result):
            return get_websocket_manager().send_event("done", result)

        later = lambda: get_websocket_manager()  # noqa: E731
        return on_done, later
