"""The layout holds (docs/architecture.md): no import cycles, function-local imports included;
no room imports a room above it; no package is too big; every task is in a `tasks` module."""

import ast
import os
import socket
import subprocess
import sys
import time
import unittest
import uuid
from pathlib import Path

import celery
from django.test import SimpleTestCase

from tests.reports.pdf_helpers import redis_available

ROOT = Path(__file__).resolve().parent.parent
# From the ground up. A room may import the rooms before it in this list, never one after it:
# the screens never import the console; the console, HR's workplace, administers the screens.
LAYERS = [
    "core",
    "scoring",
    "audit",
    "staff",
    "metrics",
    "notices",
    "appraisals",
    "reports",
    "screens",
    "api",
    "console",
    "demo",
    "config",
]
MAX_PACKAGE_LINES = 5000
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/2")
SKIPPED = {"migrations", "tests", "bench", "scripts", ".venv", "var", "node_modules"}


def _modules() -> dict[str, Path]:
    modules = {}
    for layer in LAYERS:
        for path in (ROOT / layer).rglob("*.py"):
            if SKIPPED & set(path.relative_to(ROOT).parts):
                continue
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


def _imports(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every project module `module` imports, anywhere in the file (functions included)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            # `from package import submodule` imports the submodule; `from module import name`
            # imports the module.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base for alias in node.names]
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


class ArchitectureTests(SimpleTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.modules = _modules()
        cls.graph = {module: _imports(module, path, cls.modules) for module, path in cls.modules.items()}

    def test_no_room_imports_a_room_above_it(self):
        wrong = []
        for module, targets in self.graph.items():
            here = LAYERS.index(module.split(".")[0])
            for target in targets:
                there = target.split(".")[0]
                if LAYERS.index(there) > here:
                    wrong.append(f"{module} → {target}")
        self.assertEqual(wrong, [], "imports that run up the layers")

    def test_there_is_no_import_cycle(self):
        index, low, stack, on_stack, cycles = {}, {}, [], set(), []

        def visit(node):  # Tarjan's strongly connected components
            index[node] = low[node] = len(index)
            stack.append(node)
            on_stack.add(node)
            for target in self.graph[node]:
                if target not in index:
                    visit(target)
                    low[node] = min(low[node], low[target])
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    cycles.append(sorted(component))

        for node in self.graph:
            if node not in index:
                visit(node)
        self.assertEqual(cycles, [])

    def test_no_package_is_over_the_limit(self):
        lines = {}
        for module, path in self.modules.items():
            top = module.split(".")[0]
            lines[top] = lines.get(top, 0) + len(path.read_text(encoding="utf-8").splitlines())
        too_big = {name: count for name, count in lines.items() if count > MAX_PACKAGE_LINES}
        self.assertEqual(too_big, {})

    def test_every_celery_task_lives_in_a_tasks_module(self):
        homes = set()
        for module, path in self.modules.items():
            if "shared_task" in path.read_text(encoding="utf-8") and not module.startswith("config"):
                homes.add(module.rpartition(".")[2])
        self.assertEqual(homes, {"tasks"})


class WorkerTests(SimpleTestCase):
    def test_a_worker_finds_every_task_by_autodiscovery(self):
        from config.celery import app

        app.loader.import_default_modules()
        names = {name for name in app.tasks if not name.startswith("celery.")}
        self.assertEqual(
            names,
            {
                "appraisals.run_job",
                "appraisals.expire_stale_jobs",
                "notices.deliver",
                "reports.render_scorecard_unit",
                "reports.pdf_pack_finish",
            },
        )

    @unittest.skipUnless(redis_available(REDIS_URL), f"no Redis at {REDIS_URL} (set TEST_REDIS_URL)")
    def test_a_worker_started_as_the_operating_guide_says_registers_every_task(self):
        from config.celery import app

        app.loader.import_default_modules()
        expected = {name for name in app.tasks if not name.startswith("celery.")}
        queue = f"lobbystar-test-registry-{uuid.uuid4().hex[:10]}"
        name = f"{queue}@{socket.gethostname()}"
        # As docs/operating.md starts it (the Procfile's worker line), on a queue of its own.
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "WARNING", "--concurrency", "1"]
            + ["-Q", queue, "-n", name, "--without-gossip", "--without-mingle"],
            cwd=ROOT,
            env={**os.environ, "CELERY_BROKER_URL": REDIS_URL},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            with self.settings(CELERY_BROKER_URL=REDIS_URL):
                client = celery.Celery(broker=REDIS_URL)
                registered = None
                deadline = time.monotonic() + 60
                while registered is None and time.monotonic() < deadline and worker.poll() is None:
                    replies = client.control.inspect(destination=[name], timeout=1).registered() or {}
                    registered = replies.get(name)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        self.assertIsNotNone(registered, worker.stderr.read().decode("utf-8", "replace")[-2000:])
        self.assertEqual({entry.split()[0] for entry in registered}, expected)


class ErrorTypeTests(SimpleTestCase):
    def test_every_error_the_product_raises_is_a_lobbystar_error(self):
        import importlib
        import inspect

        from core.errors import LobbyStarError

        strays = []
        for module_name, path in _modules().items():
            if path.name == "apps.py" or "management" in module_name or module_name.startswith(("scoring", "api.")):
                # The pure engine knows nothing of the product: its plain ValueErrors are turned
                # into LobbyStarErrors, in words, by the services that call it. The API answers in
                # HTTP's terms (DRF's APIExceptions, as JSON), over the same services.
                continue
            if "class " not in path.read_text(encoding="utf-8") or "Error" not in path.read_text(encoding="utf-8"):
                continue
            module = importlib.import_module(module_name)
            for name, value in vars(module).items():
                if (
                    inspect.isclass(value)
                    and value.__module__ == module_name
                    and issubclass(value, Exception)
                    and not name.startswith("_")  # caught where it is raised, never shown
                ):
                    if not issubclass(value, LobbyStarError):
                        strays.append(f"{module_name}.{name}")
        self.assertEqual(strays, [])
