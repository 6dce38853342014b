"""The conda command of `mirrorctl torch`, judged by the real conda's solver (26.7.1, classic solver).

The channel is a local stand-in for conda-forge, reached through ``custom_channels`` exactly as a mirror is; its
repodata copies the shape of conda-forge's pytorch (conda-forge/pytorch-cpu-feedstock recipe/meta.yaml: CUDA builds
depend on ``__cuda`` and carry +200 on the build number; cuda-version X.Y constrains ``__cuda >=X``, from
conda-forge/cuda-version-feedstock). Observed by hand first: with ``CONDA_OVERRIDE_CUDA=""`` the CUDA spec is
unsatisfiable, with ``13.0`` or ``12.4`` the cuda129 build is linked.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import write
from real_conda import conda_client, describe, requires_conda
from test_torch import NO_DRIVER, fake_smi

pytestmark = [pytest.mark.real_client, requires_conda]


def conda_forge_stand_in(base: Path) -> None:
    packages = {}

    def add(name: str, version: str, build: str, depends: list[str], constrains: tuple[str, ...] = ()) -> None:
        packages[f"{name}-{version}-{build}.conda"] = {
            "name": name, "version": version, "build": build, "build_number": 200 if "cuda" in build else 0,
            "depends": depends, "constrains": list(constrains), "subdir": "linux-64", "md5": "0" * 32,
            "sha256": "0" * 64, "size": 1, "license": "BSD-3-Clause"}

    for cuda in ("12.9", "13.0"):
        tag = cuda.replace(".", "")
        major = cuda.split(".")[0]
        pin = f"cuda-version >={cuda},<{int(major) + 1}"
        add("cuda-version", cuda, "h1_0", [], (f"__cuda >={major}", f"cudatoolkit {cuda}|{cuda}.*"))
        add("pytorch", "2.13.0", f"cuda{tag}_generic_py312_h1_200", ["__cuda", pin])
        add("torchvision", "0.28.0", f"cuda{tag}_h1_0", ["pytorch 2.13.*", pin])
    add("pytorch", "2.13.0", "cpu_generic_py312_h1_0", [])
    add("torchvision", "0.28.0", "cpu_h1_0", ["pytorch 2.13.* cpu*"])
    channel = base / "conda-forge"
    write(channel / "linux-64" / "repodata.json", json.dumps(
        {"info": {"subdir": "linux-64"}, "packages": {}, "packages.conda": packages}))
    write(channel / "noarch" / "repodata.json", json.dumps(
        {"info": {"subdir": "noarch"}, "packages": {}, "packages.conda": {}}))


@pytest.mark.parametrize(("args", "linked"), [
    (("--gpu", "GTX 1080", "--cuda", "13.0"), "cuda129_generic_py312_h1_200"),  # Pascal: 12.9, not 13.0
    (("--gpu", "RTX 4090", "--cuda", "13.0"), "cuda130_generic_py312_h1_200"),
    (("--variant", "cpu", "--gpu", "RTX 4090", "--cuda", "13.0"), "cpu_generic_py312_h1_0"),
], ids=["pascal planned on a 580 host", "ada planned on a 580 host", "cpu on a GPU host"])
def test_the_conda_command_solves_to_the_build_it_promises(run, tmp_path: Path, args, linked):
    real_conda = conda_client()
    fake_smi(tmp_path / "bin", NO_DRIVER)  # the machine planning has no GPU: the override stands in for it
    document = json.loads(run("torch", "--json", *args).output)
    conda = next(c for c in document["commands"] if c["tool"] == "conda")
    assert conda["argv"][:4] == ["conda", "install", "-c", "conda-forge"]
    cloud = tmp_path / "cloud"
    conda_forge_stand_in(cloud)
    home = tmp_path / "conda-home"
    write(home / ".condarc", f"custom_channels:\n  conda-forge: file://{cloud}\n")
    env = {"CONDA_SOLVER": "classic", "CONDA_SUBDIR": "linux-64", **conda["env"]}
    result = real_conda.run(home, "create", "-n", "t", "--dry-run", "--json", *conda["argv"][2:], env_extra=env)
    answer = json.loads(result.stdout)
    builds = {a["name"]: a["build_string"] for a in answer.get("actions", {}).get("LINK", [])}
    assert builds.get("pytorch") == linked, describe(result)
    if "CONDA_OVERRIDE_CUDA" in conda["env"] and conda["env"]["CONDA_OVERRIDE_CUDA"]:
        # Without the override (a build host with no GPU), the same spec cannot be solved: it is needed.
        bare = real_conda.run(home, "create", "-n", "t", "--dry-run", "--json", *conda["argv"][2:],
                              env_extra={**env, "CONDA_OVERRIDE_CUDA": ""})
        assert json.loads(bare.stdout).get("exception_name") == "UnsatisfiableError", describe(bare)
