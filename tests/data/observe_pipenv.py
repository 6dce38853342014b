"""Which index real pipenv locks from, for every Pipfile layout mirrorctl models; prints a Markdown table.

    python tests/data/observe_pipenv.py      # with the clients extra (pipenv) installed next to this Python

Two loopback indexes, A and B (both serve the demo project), and the trap proxy for the internet; each layout
runs ``pipenv lock`` in a fresh project with an isolated HOME (tests/real_clients.py) and records which index
served the demo project. The output is tests/data/pipenv_observed.md; tests/test_pipenv_target.py holds
mirrorctl to it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import real_clients as rc
from loopback_index import PROJECT, serve_index, trap_proxy


def source(url: str, name: str, verify: bool = False) -> str:
    return f'[[source]]\nurl = "{url}"\nverify_ssl = {"true" if verify else "false"}\nname = "{name}"\n\n'


PACKAGES = f'[packages]\n{PROJECT} = "*"\n'


def layouts(a: str, b: str, dead: str) -> list[tuple[str, str | None, dict[str, str], str | None]]:
    """(description, Pipfile text or None, extra environment, user pip.conf text or None)."""
    pypi = "https://pypi.org/simple"
    return [
        ("first source A (pypi), second B (corp)", source(a, "pypi") + source(b, "corp") + PACKAGES, {}, None),
        ("first source B (aliyun), second A (mirrorctl)", source(b, "aliyun") + source(a, "mirrorctl") + PACKAGES,
         {}, None),
        ("first A (mirrorctl), second B (aliyun)", source(a, "mirrorctl") + source(b, "aliyun") + PACKAGES, {},
         None),
        ("first dead (pypi), second A (corp)", source(dead, "pypi") + source(a, "corp") + PACKAGES, {}, None),
        ("package keyed index=corp, corp=B second", source(a, "pypi") + source(b, "corp")
         + f'[packages]\n{PROJECT} = {{version = "*", index = "corp"}}\n', {}, None),
        ("http source A with verify_ssl = true", source(a, "pypi", verify=True) + PACKAGES, {}, None),
        ("pypi.org source + PIPENV_PYPI_MIRROR=A", source(pypi, "pypi", verify=True) + PACKAGES,
         {"PIPENV_PYPI_MIRROR": a}, None),
        ("pypi.org/simple/ (slash) + PIPENV_PYPI_MIRROR=A", source(pypi + "/", "pypi", verify=True) + PACKAGES,
         {"PIPENV_PYPI_MIRROR": a}, None),
        ("first B (aliyun) + PIPENV_PYPI_MIRROR=A", source(b, "aliyun") + PACKAGES, {"PIPENV_PYPI_MIRROR": a},
         None),
        ("no [[source]], user pip.conf index-url=B", PACKAGES, {}, f"[global]\nindex-url = {b}\n"),
        ("no [[source]], pip.conf B + PIPENV_PYPI_MIRROR=A", PACKAGES, {"PIPENV_PYPI_MIRROR": a},
         f"[global]\nindex-url = {b}\n"),
        ("no [[source]], nothing configured", PACKAGES, {}, None),
        ("no Pipfile, `pipenv install demo`, pip.conf index-url=B", None, {}, f"[global]\nindex-url = {b}\n"),
        ("no Pipfile, `pipenv install demo`, PIPENV_PYPI_MIRROR=A", None, {"PIPENV_PYPI_MIRROR": a}, None),
    ]


def main() -> int:
    version = subprocess.run([str(rc.client_or_skip("pipenv")), "--version"], capture_output=True, text=True,
                             check=False).stdout.strip()
    print(f"{version}; A and B: loopback indexes; each row a fresh project and HOME\n")
    print("| layout | command | exit | index used | Pipfile.lock `_meta.sources` | Pipfile `[[source]]` after |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="observe-pipenv-") as tmp, serve_index() as index_a, \
            serve_index() as index_b, trap_proxy() as trap:
        from loopback_index import dead_index_url

        a, b = index_a.loopback_url, index_b.loopback_url
        for number, (what, pipfile, env, pipconf) in enumerate(layouts(a, b, dead_index_url())):
            home = Path(tmp) / f"home{number}"
            project = Path(tmp) / f"project{number}"
            project.mkdir(parents=True)
            extra = dict(env)
            if pipconf is not None:
                conf = home / ".config" / "pip" / "pip.conf"
                conf.parent.mkdir(parents=True, exist_ok=True)
                conf.write_text(pipconf, encoding="utf-8")
                extra["PIP_CONFIG_FILE"] = str(conf)
            if pipfile is None:
                args = ["install", "--python", sys.executable, PROJECT]
            else:
                (project / "Pipfile").write_text(pipfile, encoding="utf-8")
                args = ["lock", "--python", sys.executable]
            before_a, before_b = len(index_a.paths()), len(index_b.paths())
            run = rc.run_client("pipenv", args, home=home, cwd=project, index=index_a, trap=trap, extra_env=extra)
            hit_a = any(PROJECT in p for p in index_a.paths()[before_a:])
            hit_b = any(PROJECT in p for p in index_b.paths()[before_b:])
            used = "+".join(n for n, hit in (("A", hit_a), ("B", hit_b)) if hit) or "none"
            if run.trapped:
                used += " (internet tried)"
            lock = project / "Pipfile.lock"
            meta = ""
            if lock.exists():
                sources = json.loads(lock.read_text(encoding="utf-8"))["_meta"]["sources"]
                meta = ", ".join(f"{s['name']}={s['url']}" for s in sources).replace(a, "A").replace(b, "B")
            after = ""
            if (project / "Pipfile").exists():
                import tomlkit

                doc = tomlkit.parse((project / "Pipfile").read_text(encoding="utf-8"))
                after = ", ".join(f"{s['name']}={s['url']} verify_ssl={str(s.get('verify_ssl')).lower()}"
                                  for s in doc.get("source", [])).replace(a, "A").replace(b, "B")
            env_text = " ".join(f"{k}=..." for k in env)
            print(f"| {what} | {env_text} pipenv {args[0]} | {run.returncode} | {used} | {meta} | {after} |",
                  flush=True)
            if run.returncode and "-v" in sys.argv:
                print(run.describe(), file=sys.stderr)
        sync_after_switch(Path(tmp), index_a, index_b, trap)
    print("\n\"internet tried\": the trap proxy logged `CONNECT pypi.org:443` during that call (a CONNECT hides "
          "the path; pipenv's source has pypi.org/pypi/<name>/json look-ups outside the index, utils/internet.py "
          "L161-164; refused here, the lock still came from the index shown).")
    return 0


def sync_after_switch(tmp: Path, index_a: object, index_b: object, trap: object) -> None:
    """Locked through A; then mirrorctl's source (B) is put first: what `pipenv sync` and `install` fetch from."""
    home, project = tmp / "home-sync", tmp / "project-sync"
    project.mkdir(parents=True)
    a, b = index_a.loopback_url, index_b.loopback_url  # type: ignore[attr-defined]
    (project / "Pipfile").write_text(source(a, "pypi") + PACKAGES, encoding="utf-8")
    print("\n| after `pipenv lock` through A, mirrorctl's source B put first | exit | index used |")
    print("|---|---|---|")
    rc.run_client("pipenv", ["lock", "--python", sys.executable], home=home, cwd=project, index=index_a,
                  trap=trap)
    (project / "Pipfile").write_text(source(b, "mirrorctl") + source(a, "pypi") + PACKAGES, encoding="utf-8")
    for command in ("sync", "install"):
        before_a, before_b = len(index_a.paths()), len(index_b.paths())  # type: ignore[attr-defined]
        run = rc.run_client("pipenv", [command, "--python", sys.executable], home=home, cwd=project,
                            index=index_a, trap=trap)
        used = [name for name, index, before in (("A", index_a, before_a), ("B", index_b, before_b))
                if any(PROJECT in p for p in index.paths()[before:])]  # type: ignore[attr-defined]
        print(f"| pipenv {command} | {run.returncode} | {'+'.join(used) or 'none'} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
