"""Run uv, pdm, poetry and pipenv with and without their index configured; print a Markdown table.

    python tests/data/observe_clients.py     # with the clients extra installed next to this Python

Uses the harness in tests/helpers/real_clients.py (isolated HOME, trap proxy for the internet, loopback index). The
output is the table in tests/data/clients_observed.md.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "helpers"))

import real_clients as rc
from loopback_index import serve_index, trap_proxy


def version(name: str) -> str:
    path = rc.find_client(name)
    if path is None:
        return "absent"
    out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=120, check=False)
    return " ".join((out.stdout or out.stderr).split())


def main() -> int:
    print("| client | version | configured by | command | exit | loopback index requests | trapped (internet) "
          "| seconds |")
    print("|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="observe-clients-") as tmp, serve_index() as index, \
            trap_proxy() as trap:
        root = Path(tmp)
        url = index.loopback_url
        for configured in (True, False):
            home = root / f"home-{'configured' if configured else 'plain'}"
            runs: list[tuple[str, rc.ClientRun]] = []
            if configured:
                rc.write_uv_config(home, url)
            runs.append(("~/.config/uv/uv.toml `[[index]]` default=true" if configured else "nothing",
                         rc.uv_resolve(home, index, trap)))
            if configured:
                venv = root / "venv"
                subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
                runs.append(("~/.config/uv/uv.toml", rc.uv_install(home, venv, index, trap)))
            if configured:
                rc.write_pdm_config(home, url)
            project = home / "pdm-project"
            rc.project_pyproject(project)
            runs.append(("~/.config/pdm/config.toml `[pypi] url`" if configured else "nothing",
                         rc.pdm_resolve(home, project, index, trap)))
            project = home / "poetry-project"
            rc.project_pyproject(project, poetry_source=url if configured else None)
            runs.append(("pyproject `[[tool.poetry.source]]` primary" if configured else "nothing",
                         rc.poetry_resolve(home, project, index, trap)))
            project = home / "pipenv-project"
            rc.project_pipfile(project, url if configured else None)
            runs.append(("Pipfile `[[source]]`" if configured else "Pipfile `[[source]]` pypi.org",
                         rc.pipenv_resolve(home, project, index, trap)))
            for how, run in runs:
                args = " ".join(a.replace(sys.executable, "$PY").replace(str(root), "$TMP") for a in run.args)
                trapped = sorted(set(run.trapped))
                print(f"| {run.client} | {version(run.client)} | {how} | `{run.client} {args}` | {run.returncode} "
                      f"| {len(run.index_paths)}: {', '.join(sorted(set(run.index_paths)))} "
                      f"| {len(run.trapped)}: {', '.join(trapped)} | {run.seconds:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
