"""`mirrorctl torch`: detection through a fake nvidia-smi printing the real formats (TORCH-FACTS 4), the choice of
variant and source over a table of machines, the refusals, the project write and `--check`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write

#: Real banner lines and query outputs (TORCH-FACTS 4a-4c; the sources are cited there).
NO_DRIVER = ("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the "
             "latest NVIDIA driver is installed and running.", 9)
MISMATCH = ("Failed to initialize NVML: Driver/library version mismatch\nNVML library version: 535.161", 18)
NO_GPUS = ("Failed to initialize NVML: No supported GPUs were found\nUnable to determine the number of GPUs", 255)
NO_CC = ('Field "compute_cap" is not a valid field to query.', 2)


def fake_smi(bin_dir: Path, query: tuple[str, int], no_cc: tuple[str, int] = ("", 0),
             plain: tuple[str, int] = ("", 0)) -> None:
    """An nvidia-smi that answers the compute_cap query, the query without it and the plain table as told."""
    for name, (text, code) in {"q1": query, "q2": no_cc, "plain": plain}.items():
        write(bin_dir / f"smi-{name}.out", text + "\n")
        write(bin_dir / f"smi-{name}.code", str(code))
    script = f"""#!/bin/sh
d={bin_dir}
case "$*" in
  *compute_cap*) k=q1 ;;
  *query-gpu*) k=q2 ;;
  *) k=plain ;;
esac
cat "$d/smi-$k.out"
exit $(cat "$d/smi-$k.code")
"""
    write(bin_dir / "nvidia-smi", script, mode=0o755)


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    return folder


def plan_json(run, *args: str) -> tuple[int, dict]:
    result = run("torch", "--json", *args)
    return result.exit_code, json.loads(result.output)


def codes(document: dict) -> list[str]:
    return [f["code"] for f in document["findings"]]


def pip_line(document: dict) -> str | None:
    return next((c["line"] for c in document["commands"] if c["tool"] == "pip"), None)


# (case, nvidia-smi query output or failure, extra args, variant, source profile, source kind, pip command or
# None, finding codes that must be there)
CASES = [
    ("no GPU: nvidia-smi cannot talk to a driver", NO_DRIVER, (), "cpu", "aliyun", "find-links",
     "pip install torch==2.13.0+cpu torchvision==0.28.0+cpu torchaudio==2.11.0+cpu "
     "-f https://mirrors.aliyun.com/pytorch-wheels/cpu/",
     ["torch.smi-failed", "torch.pypi-would-be-cuda", "torch.mirror-links-upstream"]),
    ("Pascal on 535", ("NVIDIA GeForce GTX 1080 Ti, 535.104.05, 6.1", 0), (), "cu126", "aliyun", "find-links",
     "pip install torch==2.13.0+cu126 torchvision==0.28.0+cu126 torchaudio==2.11.0+cu126 "
     "-f https://mirrors.aliyun.com/pytorch-wheels/cu126/", ["torch.minor-compat"]),
    ("RTX 4090 on 550", ("NVIDIA GeForce RTX 4090, 550.144.03, 8.9", 0), (), "cu126", "aliyun", "find-links",
     "pip install torch==2.13.0+cu126 torchvision==0.28.0+cu126 torchaudio==2.11.0+cu126 "
     "-f https://mirrors.aliyun.com/pytorch-wheels/cu126/", ["torch.minor-compat"]),
    ("RTX 5090 on 570 with torch 2.11: cu128", ("NVIDIA GeForce RTX 5090, 570.133.07, 12.0", 0),
     ("--torch", "2.11"), "cu128", "aliyun", "find-links",
     "pip install torch==2.11.0+cu128 torchvision==0.26.0+cu128 torchaudio==2.11.0+cu128 "
     "-f https://mirrors.aliyun.com/pytorch-wheels/cu128/", []),
    ("H100 on 580: PyPI's own cu130 from the mirror in effect", ("NVIDIA H100 80GB HBM3, 580.65.06, 9.0", 0), (),
     "cu130", "tuna", "pypi", "pip install torch==2.13.0 torchvision==0.28.0 torchaudio==2.11.0", []),
    ("mixed Pascal + Ada on 580: only cu126 has both", (
        "NVIDIA GeForce GTX 1080 Ti, 580.95.05, 6.1\nNVIDIA GeForce RTX 4090, 580.95.05, 8.9", 0), (), "cu126",
     "aliyun", "find-links", "pip install torch==2.13.0+cu126 torchvision==0.28.0+cu126 torchaudio==2.11.0+cu126 "
     "-f https://mirrors.aliyun.com/pytorch-wheels/cu126/", []),
    ("macOS arm64: PyPI's wheel (MPS)", NO_DRIVER, ("--platform", "macos-arm64"), "cpu", "tuna", "pypi",
     "pip install torch==2.13.0 torchvision==0.28.0 torchaudio==2.11.0", []),
    ("linux-aarch64 without GPU: PyPI's torch is cu130 there, so the +cpu build", NO_DRIVER,
     ("--platform", "linux-aarch64"), "cpu", "aliyun", "find-links",
     "pip install torch==2.13.0+cpu torchvision==0.28.0+cpu torchaudio==2.11.0+cpu "
     "-f https://mirrors.aliyun.com/pytorch-wheels/cpu/", ["torch.pypi-would-be-cuda"]),
    ("linux-aarch64 torch 2.10: PyPI's torch is the CPU build", NO_DRIVER,
     ("--platform", "linux-aarch64", "--torch", "2.10"), "cpu", "tuna", "pypi",
     "pip install torch==2.10.0 torchvision==0.25.0 torchaudio==2.10.0", []),
    ("a planned machine: RTX 3090, CUDA 12.4 driver", NO_DRIVER, ("--gpu", "RTX 3090", "--cuda", "12.4"), "cu126",
     "aliyun", "find-links", "pip install torch==2.13.0+cu126 torchvision==0.28.0+cu126 torchaudio==2.11.0+cu126 "
     "-f https://mirrors.aliyun.com/pytorch-wheels/cu126/", ["torch.minor-compat"]),
    ("torch 2.5.1 for an RTX 3090 on 550: PyPI's 2.5.1 is cu124", ("NVIDIA GeForce RTX 3090, 550.54.15, 8.6", 0),
     ("--torch", "2.5.1"), "cu124", "tuna", "pypi", "pip install torch==2.5.1 torchvision==0.20.1 torchaudio==2.5.1",
     []),
    ("torch 2.5.1 on a 535 driver: cu121 (GA 530) beats cu124 (GA 550)", ("Tesla V100-SXM2-32GB, 535.104.05, 7.0", 0),
     ("--torch", "2.5.1"), "cu121", "aliyun", "find-links",
     "pip install torch==2.5.1+cu121 torchvision==0.20.1+cu121 torchaudio==2.5.1+cu121 "
     "-f https://mirrors.aliyun.com/pytorch-wheels/cu121/", []),
    ("torch 2.4 on the frozen SJTUG page is not preferred over the in-effect order", NO_DRIVER,
     ("--torch", "2.4.1"), "cpu", "aliyun", "find-links",
     "pip install torch==2.4.1+cpu torchvision==0.19.1+cpu torchaudio==2.4.1+cpu "
     "-f https://mirrors.aliyun.com/pytorch-wheels/cpu/", []),
    ("Hopper on 595 with 2.13: cu132 meets its GA driver", ("NVIDIA H200, 595.58.03, 9.0", 0), (), "cu132",
     "official", "index", "pip install torch==2.13.0+cu132 torchvision==0.28.0+cu132 "
     "--index-url https://download.pytorch.org/whl/cu132", ["torch.no-torchaudio"]),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_the_variant_and_the_source_per_machine(run, bin_dir: Path, pip_conf: Path, case):
    _, smi, args, variant, profile, kind, pip, expected = case
    fake_smi(bin_dir, smi)
    write(pip_conf, "[global]\nindex-url = https://pypi.tuna.tsinghua.edu.cn/simple\n")
    code, document = plan_json(run, *args)
    assert code == 0, document
    assert document["variant"] == variant
    assert (document["source"]["profile"], document["source"]["kind"]) == (profile, kind)
    assert pip_line(document) == pip
    assert set(expected) <= set(codes(document)), codes(document)


def test_rtx_50xx_on_570_with_torch_2_13_nothing_fits_and_says_what_would(run, bin_dir: Path):
    fake_smi(bin_dir, ("NVIDIA GeForce RTX 5090, 570.133.07, 12.0", 0))
    result = run("torch", "--torch", "2.13")
    assert result.exit_code == 1
    text = result.output
    assert "variant    none fits:\n" in text
    assert "  cu132: needs a driver >= 580 (CUDA 13.2); this one is 570.133.07\n" in text
    assert "  cu130: needs a driver >= 580 (CUDA 13.0); this one is 570.133.07\n" in text
    assert ("  cu126: no kernels for NVIDIA GeForce RTX 5090 (compute capability 12.0); it has sm_50 sm_60 sm_70 "
            "sm_75 sm_80 sm_86 sm_90\n") in text
    assert "hint       an older torch fits: --torch 2.11.0 (cu128)\n" in text
    assert "hint       torch 2.13.0 fits with a driver >= 580 (cu130)\n" in text
    assert "pip install" not in text and "uv pip install" not in text  # no wheel that cannot run
    # conda-forge's 12.9 build has sm_120 and runs on R570: offered as what does fit.
    assert "conda install -c conda-forge 'pytorch=2.13.0=cuda*' torchvision cuda-version=12.9\n" in text


def test_a_forced_variant_that_cannot_run_is_refused_without_a_command(run, bin_dir: Path):
    fake_smi(bin_dir, ("NVIDIA GeForce RTX 3090, 535.104.05, 8.6", 0))
    code, document = plan_json(run, "--variant", "cu130")
    assert code == 1
    assert (document["variant"] is None and document["commands"] == []) or \
        all(c["tool"] == "conda" for c in document["commands"])
    assert document["candidates"] == [{"variant": "cu130", "verdict": "driver-too-old", "ga": True,
                                       "params": {"driver": "535.104.05", "need": "580", "cuda": "13.0"},
                                       "message": "cu130: needs a driver >= 580 (CUDA 13.0); this one is 535.104.05"}]
    assert "torch.try-driver" in codes(document)


def test_r470_without_compute_cap_falls_back_to_the_name_table(run, bin_dir: Path):
    fake_smi(bin_dir, NO_CC, no_cc=("Tesla T4, 470.182.03", 0))
    code, document = plan_json(run)
    assert document["machine"]["driver"] == "470.182.03"
    assert document["machine"]["gpus"] == [{"name": "Tesla T4", "cc": "7.5", "cc_from": "name table",
                                            "vendor": "nvidia"}]
    assert "torch.smi-no-compute-cap" in codes(document)
    # 470 is below every CUDA 12/13 floor: nothing of 2.13 runs; cu118 of 2.7 does.
    assert code == 1 and document["variant"] is None
    hints = [f["params"] for f in document["findings"] if f["code"] == "torch.try-older"]
    assert hints == [{"torch": "2.7.1", "variant": "cu118"}]


def test_the_plain_table_gives_the_driver_not_the_userspace_or_cuda_version(run, bin_dir: Path):
    banner = """+-----------------------------------------------------------------------------+
| NVIDIA-SMI 470.256.02   Driver Version: 580.95.05   CUDA Version: 13.0     |
|-------------------------------+----------------------+----------------------+
| GPU  Name        Persistence-M| Bus-Id        Disp.A | Volatile Uncorr. ECC |
|===============================+======================+======================|
|   0  NVIDIA GeForce RTX 3090    Off  | 00000000:01:00.0  On |                  N/A |
+-------------------------------+----------------------+----------------------+"""
    fake_smi(bin_dir, NO_CC, no_cc=NO_CC, plain=(banner, 0))
    code, document = plan_json(run)
    assert code == 0
    assert document["machine"]["driver"] == "580.95.05"
    assert document["machine"]["gpus"][0]["name"] == "NVIDIA GeForce RTX 3090"
    assert document["machine"]["gpus"][0]["cc"] == "8.6"
    assert document["variant"] == "cu130"  # 580.95.05 meets cu130's GA driver 580.65.06, not cu132's 595.45.04


@pytest.mark.parametrize("failure", [MISMATCH, NO_GPUS], ids=["version mismatch (18)", "no GPUs (255)"])
def test_a_failing_nvidia_smi_is_said_and_planned_as_no_gpu(run, bin_dir: Path, failure):
    fake_smi(bin_dir, failure)
    code, document = plan_json(run)
    assert code == 0 and document["variant"] == "cpu"
    found = next(f for f in document["findings"] if f["code"] == "torch.smi-failed")
    assert found["params"]["exit"] == failure[1]
    assert found["params"]["output"] == failure[0].splitlines()[0]


def test_a_profile_in_effect_that_carries_the_variant_is_the_source(run, bin_dir: Path, pip_conf: Path,
                                                                      tmp_path: Path):
    write(tmp_path / "mirrorctl" / "profiles" / "campus.toml", """name = "campus"
[pypi]
index = "https://pypi.campus.example/simple"
verified = true
[pytorch]
url = "https://wheels.campus.example/whl/cpu"
variant_url = "https://wheels.campus.example/whl/{variant}"
variants = ["cpu", "cu126"]
links = "mirror"
verified = true
""")
    write(pip_conf, "[global]\nindex-url = https://pypi.campus.example/simple\n")
    fake_smi(bin_dir, ("NVIDIA GeForce RTX 4090, 550.144.03, 8.9", 0))
    code, document = plan_json(run)
    assert code == 0
    assert document["source"]["profile"] == "campus"
    assert document["source"]["reason"] == "torch.source-in-effect"
    assert pip_line(document) == ("pip install torch==2.13.0+cu126 torchvision==0.28.0+cu126 "
                                  "torchaudio==2.11.0+cu126 --index-url https://wheels.campus.example/whl/cu126")


def test_a_profile_with_a_bad_pytorch_table_is_one_line_naming_the_file(run, tmp_path: Path):
    path = write(tmp_path / "mirrorctl" / "profiles" / "campus.toml", """name = "campus"
[pypi]
index = "https://pypi.campus.example/simple"
[pytorch]
url = "https://wheels.campus.example/whl/cpu"
variant_url = "https://wheels.campus.example/whl/"
""")
    result = run("profile", "show", "campus")
    assert result.exit_code == 1
    assert result.output.strip().endswith("key 'pytorch.variant_url' must contain {variant}")
    assert str(path.name) in result.output


def test_every_built_in_pytorch_mirror_states_its_variants_and_links():
    from mirrorctl.profiles import load_profiles

    for profile in load_profiles().profiles:
        if profile.pytorch:
            assert profile.pytorch.variants, profile.name
            assert profile.pytorch.links in ("mirror", "upstream", "unknown"), profile.name
            # A third-party-only fact stays marked as such.
            assert profile.pytorch.verified or "UNVERIFIED" in profile.pytorch.source or \
                profile.pytorch.frozen_at, profile.name


def test_write_puts_the_project_form_in_pyproject_through_a_backup(run, bin_dir: Path, tmp_path: Path,
                                                                    monkeypatch):
    fake_smi(bin_dir, ("NVIDIA GeForce RTX 4090, 550.144.03, 8.9", 0))
    project = tmp_path / "proj"
    original = ('[project]\nname = "demo"\nversion = "0.1"\n# keep me\ndependencies = ["numpy", "torch>=2"]\n\n'
                '[tool.uv]\ndev-dependencies = []\n')
    write(project / "pyproject.toml", original)
    monkeypatch.chdir(project)
    result = run("torch", "--write")
    assert result.exit_code == 0, result.output
    assert "torch: updated" in result.output
    assert (project / "pyproject.toml").read_text() == (
        '[project]\nname = "demo"\nversion = "0.1"\n# keep me\ndependencies = [\n    "numpy",\n'
        '    "torch==2.13.0",\n    "torchvision==0.28.0",\n    "torchaudio==2.11.0",\n]\n\n'
        '[tool.uv]\ndev-dependencies = []\n\n'
        '[[tool.uv.index]]\nname = "pytorch-cu126"\nurl = "https://mirrors.aliyun.com/pytorch-wheels/cu126/"\n'
        'format = "flat"\nexplicit = true\n\n'
        '[tool.uv.sources]\ntorch = {index = "pytorch-cu126"}\ntorchvision = {index = "pytorch-cu126"}\n'
        'torchaudio = {index = "pytorch-cu126"}\n')
    again = run("torch", "--write")
    assert "already has this PyTorch setup" in again.output
    assert run("restore").exit_code == 0
    assert (project / "pyproject.toml").read_text() == original


def test_write_refuses_a_broken_pyproject_and_changes_nothing(run, bin_dir: Path, tmp_path: Path, monkeypatch):
    fake_smi(bin_dir, NO_DRIVER)
    project = tmp_path / "proj"
    broken = write(project / "pyproject.toml", '[project]\nname = "demo"\ndependencies = [\n')
    monkeypatch.chdir(project)
    result = run("torch", "--write")
    assert result.exit_code == 1
    assert "pyproject.toml" in result.output.splitlines()[-1] and "Traceback" not in result.output
    assert broken.read_text() == '[project]\nname = "demo"\ndependencies = [\n'


# ---------------------------------------------------------------------------------------------------------
# --check: prepared environments (a venv without pip, with stand-in dist-info folders)


def make_env(tmp_path: Path, dists: dict[str, str], cuda: str | None) -> Path:
    venv = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = subprocess.run([str(venv / "bin" / "python"), "-c",
                              "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    site = Path(purelib)
    for name, version in dists.items():
        folder = site / f"{name.replace('-', '_')}-{version}.dist-info"
        write(folder / "METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    if "torch" in dists:
        # Importing this stand-in would fail loudly: --check must never import torch.
        write(site / "torch" / "__init__.py", "raise SystemExit('torch was imported')\n")
        write(site / "torch" / "version.py", f"__version__ = '{dists['torch']}'\ncuda: Optional[str] = "
                                             f"{cuda!r}\nhip: Optional[str] = None\n")
    return venv


def test_check_finds_a_cu11_cu12_mixture(run, bin_dir: Path, tmp_path: Path):
    fake_smi(bin_dir, ("NVIDIA GeForce RTX 3090, 550.144.03, 8.6", 0))
    venv = make_env(tmp_path, {"torch": "2.5.1+cu121", "torchvision": "0.20.1+cu121",
                               "nvidia-cudnn-cu12": "9.1.0.70", "nvidia-cublas-cu12": "12.1.3.1",
                               "nvidia-cudnn-cu11": "8.5.0.96"}, "12.1")
    result = run("torch", "--check", "--python", str(venv))
    assert result.exit_code == 1
    assert "error      nvidia-* wheels of another CUDA major than torch's cu12: nvidia-cudnn-cu11" in result.output
    assert "  fix: pip uninstall -y nvidia-cudnn-cu11\n" in result.output
    document = json.loads(run("torch", "--check", "--python", str(venv), "--json").output)
    mixture = next(f for f in document["findings"] if f["code"] == "torch.nvidia-mixture")
    assert mixture["params"] == {"want": "cu12", "projects": ["nvidia-cudnn-cu11"]}


def test_check_finds_a_build_without_kernels_for_the_gpu(run, bin_dir: Path, tmp_path: Path):
    fake_smi(bin_dir, ("NVIDIA GeForce RTX 5090, 575.57.08, 12.0", 0))
    venv = make_env(tmp_path, {"torch": "2.9.1+cu126", "nvidia-cudnn-cu12": "9.10.2.21"}, "12.6")
    document = json.loads(run("torch", "--check", "--python", str(venv), "--json").output)
    found = next(f for f in document["findings"] if f["code"] == "torch.no-kernels")
    assert found["params"]["cc"] == "12.0" and found["level"] == "error"
    # The fix is a build that has sm_120 and runs on R575: 2.11's cu128 is the newest.
    assert [f["line"] for f in document["fixes"]] == [
        "pip install torch==2.11.0+cu128 torchvision==0.26.0+cu128 torchaudio==2.11.0+cu128 "
        "-f https://mirrors.aliyun.com/pytorch-wheels/cu128/"]


def test_check_finds_nothing_in_a_consistent_environment(run, bin_dir: Path, tmp_path: Path):
    fake_smi(bin_dir, ("NVIDIA GeForce RTX 4090, 580.95.05, 8.9", 0))
    venv = make_env(tmp_path, {"torch": "2.13.0", "torchvision": "0.28.0", "nvidia-cudnn-cu13": "9.24.0.43",
                               "nvidia-cuda-runtime": "13.0.48", "cuda-toolkit": "13.0.2"}, "13.0")
    result = run("torch", "--check", "--python", str(venv))
    assert result.exit_code == 0, result.output
    assert result.output == (f"note       torch 2.13.0 (cu130) in {venv / 'bin' / 'python'}\n"
                             "ok: nothing wrong found\n")


def test_check_core_function_returns_findings_for_doctor(bin_dir: Path, tmp_path: Path):
    from mirrorctl.torch import plan

    fake_smi(bin_dir, NO_DRIVER)
    venv = make_env(tmp_path, {"numpy": "2.0.0"}, None)
    result = plan.check(python=str(venv))
    assert [f.code for f in result.findings] == ["torch.smi-failed", "torch.not-installed"]
    assert os.path.basename(str(result.python)) == "python"


@pytest.mark.parametrize(("gfx", "torch", "variant", "verdicts"), [
    ("gfx1100", None, "rocm7.2", []),
    ("gfx1151", "2.10", None, [("rocm7.1", "no-gfx"), ("rocm7.0", "no-gfx")]),
    ("gfx1151", None, "rocm7.2", [("rocm7.1", "no-gfx")]),
], ids=["RX 7900 (gfx1100)", "Strix Halo on 2.10: no index has gfx1151", "Strix Halo on 2.13: rocm7.2"])
def test_rocm_is_chosen_by_the_gpus_gfx_target(run, bin_dir: Path, gfx: str, torch: str | None,
                                                variant: str | None, verdicts):
    write(bin_dir / "rocm_agent_enumerator", f"#!/bin/sh\nprintf 'gfx000\\n{gfx}\\n'\n", mode=0o755)
    code, document = plan_json(run, *(("--torch", torch) if torch else ()))
    assert document["machine"]["gfx"] == [gfx]
    assert document["variant"] == variant and code == (0 if variant else 1)
    assert [(c["variant"], c["verdict"]) for c in document["candidates"] if c["verdict"] != "ok"] == verdicts
    if variant:
        assert pip_line(document).endswith(f"--index-url https://download.pytorch.org/whl/{variant}")
        assert "+rocm7.2" in pip_line(document)


def test_the_install_commands_come_from_the_tool_modules():
    """Only a tool's module spells its command (tests/test_contract.py): `mirrorctl torch` asks each one."""
    from mirrorctl.targets import base

    assert [name for name, _ in base.hooks("torch_commands")] == ["pip", "conda", "uv"]
    assert [name for name, _ in base.hooks("render_torch_project")] == ["uv"]
