"""How the rules describe their fixes (pure ``ast``; nothing here imports ast-grep).

A rule attaches a :class:`~.rule.Fix` to its finding: ``safe`` or ``unsafe`` edits in
``ast`` coordinates, and for NWS101 the :class:`~.rule.ImportChange` the new call needs;
or a ``manual`` fix without edits whose message says why a person has to do it.
:mod:`.fixes` applies them with ast-grep-py.
"""

from __future__ import annotations

import ast
from collections import Counter

from netra_ws_lint.analysis.idioms import is_classmethod
from netra_ws_lint.analysis.scopes import FUNCTION_TYPES, dotted_name
from netra_ws_lint.analysis.semantic import Context
from netra_ws_lint.analysis.thread_locals import ThreadLocal
from netra_ws_lint.model import MANUAL as MANUAL
from netra_ws_lint.model import SAFE as SAFE
from netra_ws_lint.model import UNSAFE as UNSAFE
from netra_ws_lint.model import Edit, Fix, ImportChange

# reasons a site needs a person (the migration report groups by them)
NO_CONTEXT = "no user context in scope"
IMPORT_TIME = "module-level instance: built once at import time"


def manual(reason: str) -> Fix:
    return Fix(MANUAL, reason)


def _lines(ctx: Context) -> list[str]:
    lines = ctx.rule_state.get("fix.lines")
    if not isinstance(lines, list):
        lines = ctx.source.split("\n")
        ctx.rule_state["fix.lines"] = lines
    return lines


def char_col(line_text: str, col: int) -> int:
    if line_text.isascii():
        return col
    return len(line_text.encode("utf-8")[:col].decode("utf-8", errors="ignore"))


def edit(ctx: Context, node: ast.AST, content: str) -> Edit:
    """Replace ``node``'s source span with ``content``."""
    line, col = node.lineno, node.col_offset  # type: ignore[attr-defined]
    end_line, end_col = node.end_lineno, node.end_col_offset  # type: ignore[attr-defined]
    lines = _lines(ctx)
    return Edit(
        line,
        col,
        end_line,
        end_col,
        content,
        char_col(lines[line - 1], col) if line <= len(lines) else col,
        char_col(lines[end_line - 1], end_col) if end_line <= len(lines) else end_col,
    )


def segment(ctx: Context, node: ast.AST) -> str | None:
    """``ast.get_source_segment`` over the file's cached lines (the stdlib's version
    splits the whole file, character by character, on every call)."""
    try:
        line: int = node.lineno - 1  # type: ignore[attr-defined]
        end_line: int = node.end_lineno - 1  # type: ignore[attr-defined]
        col: int = node.col_offset  # type: ignore[attr-defined]
        end_col: int | None = node.end_col_offset  # type: ignore[attr-defined]
    except (AttributeError, TypeError):
        return None
    if end_col is None:
        return None
    lines = _lines(ctx)
    if line == end_line:
        return lines[line].encode()[col:end_col].decode()
    first = lines[line].encode()[col:].decode()
    last = lines[end_line].encode()[:end_col].decode()
    return "\n".join([first, *lines[line + 1 : end_line], last])


def parents(ctx: Context) -> dict[ast.AST, ast.AST]:
    """Child -> parent for the whole file (built once, on the first fix)."""
    cached = ctx.rule_state.get("fix.parents")
    if isinstance(cached, dict):
        return cached
    table: dict[ast.AST, ast.AST] = {}
    for node in ast.walk(ctx.tree):
        for child in ast.iter_child_nodes(node):
            table[child] = node
    ctx.rule_state["fix.parents"] = table
    return table


def _import_bindings(ctx: Context) -> Counter[str]:
    """How many import statements bind each name (anywhere in the file)."""
    cached = ctx.rule_state.get("fix.imports")
    if isinstance(cached, Counter):
        return cached
    counts: Counter[str] = Counter()
    for node in ast.walk(ctx.tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                counts[alias.asname or alias.name.partition(".")[0]] += 1
    ctx.rule_state["fix.imports"] = counts
    return counts


def _accessor_modules(ctx: Context, new_name: str) -> set[str]:
    """Modules that statements of the file import a deprecated accessor from, whose
    replacement is ``new_name`` (the fix would import ``new_name`` from each)."""
    key = f"fix.modules.{new_name}"
    cached = ctx.rule_state.get(key)
    if isinstance(cached, set):
        return cached
    out: set[str] = set()
    ctx.rule_state[key] = out
    for node in ast.walk(ctx.tree):
        if isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            for alias in node.names:
                qual = f"{module}.{alias.name}"
                if ctx.is_deprecated_accessor(qual):
                    new = (ctx.accessor_replacement(qual) or "").rpartition(" ")[2]
                    if new.rpartition(".")[2] == new_name:
                        out.add(module)
    return out


def _module_binds(ctx: Context, name: str) -> bool:
    b = ctx.module_scope.bindings.get(name)
    return b is not None and b.kind in ("import", "def", "class")


def context_in_scope(ctx: Context, before: ast.AST) -> str | Fix | None:
    """The user context usable at ``before``: its text, or a manual fix saying why
    there is none."""
    expr = ctx.user_context_expr()
    if expr is None:
        return manual(NO_CONTEXT)
    if "." in expr:
        fns = ctx.enclosing_functions()
        if fns and is_classmethod(fns[-1]):
            return manual(f"`{expr}` is not set in a classmethod (no instance there)")
    why = ctx.context_not_proven(expr, before)
    if why is not None:
        return manual(f"{why}: pass the user's context by hand")
    return expr


def _is_fallback(ctx: Context, call: ast.Call) -> bool:
    """``call`` is the ``else`` branch of ``(... if <ctx> is not None else call)``:
    the fallback the optional-context fix leaves for callers that pass none."""
    table = parents(ctx)
    child: ast.AST = call
    node = table.get(call)
    while node is not None and not isinstance(node, (*FUNCTION_TYPES, ast.Lambda)):
        if isinstance(node, ast.IfExp) and child is node.orelse:
            test = node.test
            if (
                isinstance(test, ast.Compare)
                and len(test.ops) == 1
                and isinstance(test.ops[0], ast.IsNot)
                and isinstance(test.comparators[0], ast.Constant)
                and test.comparators[0].value is None
            ):
                return True
        child, node = node, table.get(node)
    return False


def _project_module(ctx: Context, module: str, new_name: str, old: str) -> str | Fix | None:
    """Where to import ``new_name`` from, instead of ``module`` (absolute): None when
    ``module`` defines or re-exports it (or is not in the project: its contents are
    not known); the module of the project that defines it; or a manual fix."""
    project = ctx.project
    if project is None or module not in project.modules:
        return None
    entry = project.modules[module]
    if project.find(f"{module}.{new_name}") is not None or new_name in entry["imports"]:
        return None
    found = sorted(m for m, e in project.modules.items() if new_name in e["defs"])
    if len(found) == 1:
        return found[0]
    where = (
        f"the project defines it in several modules ({', '.join(f'`{m}`' for m in found)})"
        if found
        else "no module of the project defines it"
    )
    example = f"{found[0] if found else 'package.module'}.{new_name}"
    return manual(
        f"`{module}` does not define or re-export `{new_name}` and {where}: configure "
        f'where it lives, e.g. `deprecated-accessors = {{ {old} = "{example}" }}`'
    )


def _relative_to(ctx: Context, target: str, level: int) -> str:
    """``target`` (absolute) as the import statement of the file would write it:
    relative when that statement was relative and both are in one package."""
    here = ctx.module_name
    if not level or here is None:
        return target
    package = here.split(".") if ctx.is_package else here.split(".")[:-1]
    parts = target.split(".")
    common = 0
    while common < min(len(package), len(parts)) and package[common] == parts[common]:
        common += 1
    if common == 0:
        return target
    return "." * (len(package) - common + 1) + ".".join(parts[common:])


def _starts_line(ctx: Context, stmt: ast.stmt) -> bool:
    lines = _lines(ctx)
    return stmt.lineno <= len(lines) and not lines[stmt.lineno - 1][: stmt.col_offset].strip()


# the parents under which ``await x`` needs no parentheses
_AWAIT_BARE = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Expr, ast.Return, ast.keyword)


def accessor_fix(ctx: Context, call: ast.Call, name: str) -> Fix:
    """NWS101: ``get_x()`` -> ``create_x(<context>)`` (``await`` when configured)."""
    replacement = ctx.accessor_replacement(name)
    if not replacement:
        return manual(f"no replacement is configured for `{name.rpartition('.')[2]}`")
    is_async = replacement.startswith("await ")
    new = replacement[len("await ") :] if is_async else replacement
    new_module, _, new_name = new.rpartition(".")
    if call.args or call.keywords:
        return manual("the accessor is called with arguments: the replacement's may differ")
    if ctx.at_import_time():
        return manual(IMPORT_TIME)
    if _is_fallback(ctx, call):
        return manual(
            "the fallback for callers that pass no user context: remove it once every "
            "caller passes one"
        )
    parent = parents(ctx).get(call)
    awaited = isinstance(parent, ast.Await)
    if awaited and not is_async:
        return manual(
            "the accessor is awaited but its replacement is not configured as a coroutine "
            "function (`get_x -> await create_x`)"
        )
    needs_await = is_async and not awaited
    if needs_await and not isinstance(ctx.scope.node, ast.AsyncFunctionDef):
        return manual(
            "the replacement is a coroutine function: `await` is only legal directly in "
            "an `async def`"
        )
    func = call.func
    imports: tuple[ImportChange, ...] = ()
    if isinstance(func, ast.Name):
        binding = ctx.lookup(func.id, func)
        if (
            binding is not None
            and binding.kind == "import"
            and isinstance(binding.node, ast.ImportFrom)
        ):
            stmt = binding.node
            if any(a.name == "*" for a in stmt.names) or _import_bindings(ctx)[func.id] > 1:
                return manual(f"`{func.id}` is imported in several places (a fallback import?)")
            modules = _accessor_modules(ctx, new_name)
            if not new_module and len(modules) > 1 and not _module_binds(ctx, new_name):
                return manual(
                    f"deprecated accessors replaced by `{new_name}` are imported from several "
                    f"modules ({', '.join(f'`{m}`' for m in sorted(modules))})"
                )
            target_module = new_module or None
            qual = ctx.project.qualname(ctx, func) if ctx.project is not None else None
            if not new_module and qual:
                base_module = qual.rpartition(".")[0]
                elsewhere = _project_module(ctx, base_module, new_name, func.id)
                if isinstance(elsewhere, Fix):
                    return elsewhere
                if elsewhere is not None:
                    target_module = _relative_to(ctx, elsewhere, stmt.level or 0)
            if target_module and not _starts_line(ctx, stmt):
                return manual("the import statement shares its line with other code")
            imports = (
                ImportChange(stmt.lineno, stmt.col_offset, func.id, new_name, target_module),
            )
        else:
            bound = ctx.lookup(new_name)
            if bound is None or bound.kind not in ("import", "def", "class"):
                return manual(f"cannot tell where to import `{new_name}` from")
        callee = new_name
    elif isinstance(func, ast.Attribute):
        root: ast.expr = func.value
        while isinstance(root, ast.Attribute):
            root = root.value
        binding = ctx.lookup(root.id, root) if isinstance(root, ast.Name) else None
        if binding is None or binding.kind != "import" or dotted_name(func.value) is None:
            return manual(
                f"called on an object (`{dotted_name(func.value) or '...'}`), not on an "
                "imported module: pass the context to whatever builds that object"
            )
        target_module = new_module or None
        if not new_module and ctx.project is not None:
            qual = ctx.project.qualname(ctx, func.value)
            elsewhere = _project_module(ctx, qual, new_name, func.attr) if qual else None
            if isinstance(elsewhere, Fix):
                return elsewhere
            if elsewhere is not None:
                level = getattr(binding.node, "level", 0) or 0
                target_module = _relative_to(ctx, elsewhere, level)
        if target_module:
            stmt = binding.node  # type: ignore[assignment]
            if not isinstance(stmt, ast.stmt) or not _starts_line(ctx, stmt):
                return manual("the import statement shares its line with other code")
            imports = (ImportChange(stmt.lineno, stmt.col_offset, None, new_name, target_module),)
            callee = new_name
        else:
            base = segment(ctx, func.value)
            if base is None:
                return manual("cannot read the call's source")
            callee = f"{base}.{new_name}"
    else:
        return manual("the accessor is not called by name")
    if "." not in callee:
        shadow = ctx.local_shadow(callee)
        if shadow is not None:
            return manual(f"{shadow}: the new call would not reach the factory")
    expr = context_in_scope(ctx, call)
    if isinstance(expr, Fix):
        return expr
    assert expr is not None
    optional = ctx.optional_context(expr)
    if optional is not None:
        original = segment(ctx, call)
        if original is None or needs_await:
            return manual(f"{optional}: pass the user's context by hand")
        text = f"({callee}({expr}) if {expr} is not None else {original})"
        return Fix(
            UNSAFE,
            f"{optional}: call `{callee}({expr})` when a context is given and keep "
            f"`{original}` for callers that pass none",
            (edit(ctx, call, text),),
            tuple(ImportChange(c.line, c.col, None, c.new, c.module) for c in imports),
        )
    text = f"{callee}({expr})"
    if needs_await:
        text = f"await {text}"
        if not isinstance(parent, _AWAIT_BARE) and not (
            isinstance(parent, ast.Call) and call is not parent.func
        ):
            text = f"({text})"
    return Fix(
        SAFE,
        f"call `{text}` instead" + (" and update the import" if imports else ""),
        (edit(ctx, call, text),),
        imports,
    )


def add_context_fix(
    ctx: Context,
    call: ast.Call,
    param: str | None,
    kind: str | None,
    applicability: str,
    none_arg: ast.expr | None = None,
) -> Fix:
    """Pass the context in scope to ``call``: by keyword ``param=`` when the parameter
    is known (or ``by_keyword``), as the first positional argument otherwise (only when
    the call has none); a literal ``None`` given for it is replaced."""
    expr = context_in_scope(ctx, call)
    if isinstance(expr, Fix):
        return expr
    assert expr is not None
    optional = ctx.optional_context(expr)
    if optional is not None and applicability == SAFE:
        fix = add_context_fix(ctx, call, param, kind, UNSAFE, none_arg)
        if fix.applicability == UNSAFE:
            return Fix(
                UNSAFE,
                f"{fix.message} ({optional}: the callee may get `None`)",
                fix.edits,
                fix.imports,
            )
        return fix
    if none_arg is not None:
        return Fix(applicability, f"pass `{expr}` instead of `None`", (edit(ctx, none_arg, expr),))
    args = [*call.args, *call.keywords]
    if any(isinstance(a, ast.GeneratorExp) for a in call.args):
        return manual("the call's only argument is a generator expression")
    if param is not None and kind in ("pos", "kwonly"):
        text = f"{param}={expr}"
        if not args:
            return _empty_call(ctx, call, text, applicability)
        last = max(args, key=_end)
        seg = segment(ctx, last)
        if seg is None:
            return manual("cannot read the call's source")
        return Fix(applicability, f"pass `{text}`", (edit(ctx, last, f"{seg}, {text}"),))
    if param is not None and kind != "posonly":
        return manual("the context parameter cannot be passed by keyword")
    if call.args:
        return manual("the position of the context among the arguments is not known")
    if not args:
        return _empty_call(ctx, call, expr, applicability)
    first = min(args, key=_start)
    seg = segment(ctx, first)
    if seg is None:
        return manual("cannot read the call's source")
    return Fix(applicability, f"pass `{expr}`", (edit(ctx, first, f"{expr}, {seg}"),))


def _start(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))


def _end(node: ast.AST) -> tuple[int, int]:
    return (getattr(node, "end_lineno", 0) or 0, getattr(node, "end_col_offset", 0) or 0)


def _empty_call(ctx: Context, call: ast.Call, text: str, applicability: str) -> Fix:
    func = segment(ctx, call.func)
    if func is None:
        return manual("cannot read the call's source")
    return Fix(applicability, f"pass `{text}`", (edit(ctx, call, f"{func}({text})"),))


def in_function(ctx: Context) -> bool:
    return any(isinstance(s.node, FUNCTION_TYPES) for s in ctx.scopes)


# ---------------------------------------------------------------- NWS208: ContextVar


def _names_of(tree: ast.Module, bound_only: bool = False) -> set[str]:
    """Every name the module uses or binds (or, ``bound_only``, binds) anywhere."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not (bound_only and isinstance(node.ctx, ast.Load)):
            out.add(node.id)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
        elif isinstance(node, (*FUNCTION_TYPES, ast.ClassDef)):
            out.add(node.name)
        elif isinstance(node, ast.alias):
            out.add(node.asname or node.name.partition(".")[0])
    return out


def contextvar_fix(ctx: Context, local: ThreadLocal) -> Fix:
    """NWS208: the module-level ``threading.local()`` ``local`` rewritten to one
    ``ContextVar`` per attribute (unsafe: an unset variable raises ``LookupError``, not
    ``AttributeError``, and a value set in a task is not seen by its parent), when
    every use is in the module and of the shapes ``x.a = v``, ``x.a`` and
    ``getattr(x, "a", d)``; else a manual fix saying why not."""
    name = local.name
    assert name is not None
    stmt = local.stmt
    tree = ctx.tree
    table = parents(ctx)
    if not name.startswith("_"):
        project = ctx.project
        importers = (
            [
                e
                for e in project.modules.values()
                if f"{ctx.module_name}.{name}" in e["imports"].values()
            ]
            if project is not None and ctx.module_name
            else None
        )
        if importers is None or importers:
            return manual(f"`{name}` is public: other modules may use it")
    if stmt not in ctx.tree.body or not _starts_line(ctx, stmt):
        return manual(f"`{name}` is not bound by a statement of its own at module level")
    targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]  # type: ignore[attr-defined]
    if len(targets) != 1 or not isinstance(targets[0], ast.Name):
        return manual(f"`{name}` is bound with other names")
    definition = targets[0]
    call = stmt.value  # type: ignore[attr-defined]
    if not isinstance(call, ast.Call) or call.args or call.keywords:
        return manual(f"`{name}` is built with arguments")
    uses: list[tuple[ast.AST, str, str, ast.expr | None]] = []  # node, attr, get/set, arg
    for node in ast.walk(tree):
        if isinstance(node, ast.arg) and node.arg == name:
            return manual(f"`{name}` is also a parameter (line {node.lineno})")
        if isinstance(node, (*FUNCTION_TYPES, ast.ClassDef)) and node.name == name:
            return manual(f"`{name}` is also defined at line {node.lineno}")
        if isinstance(node, ast.alias) and (node.asname or node.name) == name:
            return manual(f"`{name}` is also imported")
        if not isinstance(node, ast.Name) or node.id != name or node is definition:
            continue
        where = f"line {node.lineno}"
        if not isinstance(node.ctx, ast.Load):
            return manual(f"`{name}` is bound again ({where})")
        parent = table.get(node)
        if isinstance(parent, ast.Attribute) and parent.value is node:
            attr = parent.attr
            if attr.startswith("__"):
                return manual(f"`{name}.{attr}` is used ({where})")
            if isinstance(parent.ctx, ast.Load):
                uses.append((parent, attr, "get", None))
                continue
            assign = table.get(parent)
            if (
                isinstance(parent.ctx, ast.Store)
                and isinstance(assign, ast.Assign)
                and assign.targets == [parent]
            ):
                uses.append((assign, attr, "set", assign.value))
                continue
            return manual(f"`{name}.{attr}` is deleted or assigned in another way ({where})")
        if (
            isinstance(parent, ast.Call)
            and isinstance(parent.func, ast.Name)
            and parent.func.id == "getattr"
            and "getattr" not in _names_of(tree, bound_only=True)
            and parent.args[:1] == [node]
            and len(parent.args) == 3
            and not parent.keywords
            and isinstance(parent.args[1], ast.Constant)
            and isinstance(parent.args[1].value, str)
            and parent.args[1].value.isidentifier()
        ):
            uses.append((parent, parent.args[1].value, "get", parent.args[2]))
            continue
        return manual(f"`{name}` is used in another way than `{name}.attr` ({where})")
    spans = [(_span(n), n) for n, *_ in uses]
    for (start, end), n in spans:
        if any(o is not n and s <= start and end <= e for (s, e), o in spans):
            return manual(f"a use of `{name}` is nested in another (line {n.lineno})")  # type: ignore[attr-defined]
    attrs = list(dict.fromkeys(a for _, a, _, _ in sorted(uses, key=lambda u: _span(u[0]))))
    if not attrs:
        return manual(f"`{name}` has no attributes to move")
    names = {a: f"{name}_{a}" for a in attrs}
    taken = _names_of(tree)
    clash = next((v for v in names.values() if v in taken), None)
    if clash is not None:
        return manual(f"`{clash}` is already a name of the module")
    imports: tuple[ImportChange, ...] = ()
    edits = []
    bound = ctx.module_scope.bindings.get("ContextVar")
    if bound is not None:
        if bound.kind != "import" or bound.qualname != "contextvars.ContextVar":
            return manual("`ContextVar` is already something else in the module")
    elif "ContextVar" in taken:
        return manual("`ContextVar` is already a name of the module")
    else:
        anchor = _anchor(ctx, call.func)
        if anchor is None:
            return manual("the import of `threading` is not a statement of its own")
        stmt_import, only_use = anchor
        if only_use:
            edits.append(edit(ctx, stmt_import, "from contextvars import ContextVar"))
        else:
            imports = (
                ImportChange(
                    stmt_import.lineno, stmt_import.col_offset, None, "ContextVar", "contextvars"
                ),
            )
    indent = ctx.source.split("\n")[stmt.lineno - 1][: stmt.col_offset]
    definitions = f"\n{indent}".join(f'{v} = ContextVar("{v}")' for v in names.values())
    edits.append(edit(ctx, stmt, definitions))
    for node, attr, how, arg in uses:
        var = names[attr]
        text = segment(ctx, arg) if arg is not None else ""
        if text is None:
            return manual("cannot read the source")
        edits.append(edit(ctx, node, f"{var}.{how}({text})"))
    listed = ", ".join(f"`{v}`" for v in names.values())
    return Fix(
        UNSAFE,
        f"replace the thread-local `{name}` with one `ContextVar` per attribute ({listed})",
        tuple(edits),
        imports,
    )


def _span(node: ast.AST) -> tuple[tuple[int, int], tuple[int, int]]:
    return (
        (node.lineno, node.col_offset),  # type: ignore[attr-defined]
        (node.end_lineno or 0, node.end_col_offset or 0),  # type: ignore[attr-defined]
    )


def _anchor(ctx: Context, func: ast.expr) -> tuple[ast.stmt, bool] | None:
    """The module-level import statement the thread-local's type comes through, and
    whether its only name is used only there (then it is replaced)."""
    head = func
    while isinstance(head, ast.Attribute):
        head = head.value
    if not isinstance(head, ast.Name):
        return None
    binding = ctx.module_scope.bindings.get(head.id)
    if binding is None or binding.kind != "import":
        return None
    stmt = binding.node
    if not isinstance(stmt, (ast.Import, ast.ImportFrom)) or stmt not in ctx.tree.body:
        return None
    if not _starts_line(ctx, stmt):
        return None
    uses = sum(1 for n in ast.walk(ctx.tree) if isinstance(n, ast.Name) and n.id == head.id)
    return stmt, len(stmt.names) == 1 and uses == 1
