"""Runtime confirmation: a pytest plugin that watches, while a project's tests run, the
objects netra-ws-lint flags, and reports the ones that really carry one user's data to
another (see :mod:`.plugin`). Nothing here is imported unless ``--nws-sentinel`` is given."""
