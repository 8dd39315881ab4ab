from app.ws import create_websocket_manager


class AgentService:
    def __init__(self, user_context: UserExecutionContext) -> None:
        self.user_context = user_context

    async def execute(self, prompt):
        await create_websocket_manager(self.user_context).send_event("started", prompt)

        def on_done(result):
            return create_websocket_manager(self.user_context).send_event("done", result)

        later = lambda: create_websocket_manager(self.user_context)  # noqa: E731
        return on_done, later
