"""`mirrorctl doctor`: each finding in a home that has exactly that problem, its file and line, and the printed fix
run for real until the finding is gone. Offline unless a test says otherwise (the network part is judged
against loopback mirrors only)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write
from real_conda import RealConda, conda_client

from mirrorctl import paths

TUNA = "https://pypi.tuna.tsinghua.edu.cn/simple"
ALIYUN = "https://mirrors.aliyun.com/pypi/simple/"


def doctor(run, *args: str) -> tuple[int, dict]:
    result = run("doctor", "--offline", "--json", *args)
    return result.exit_code, json.loads(result.stdout)


def codes(document: dict) -> list[str]:
    return [f["code"] for f in document["findings"]]


def finding(document: dict, code: str) -> dict:
    return next(f for f in document["findings"] if f["code"] == code)


def apply_fix(run, fix: str, *, env: dict[str, str] | None = None) -> None:
    """Run a printed fix: mirrorctl commands in process (the test's home), `unset` on the test's environment."""
    for command in fix.split(" && "):
        words = shlex.split(command)
        if words[0] == "unset":
            for name in words[1:]:
                (env if env is not None else os.environ).pop(name, None)
        elif words[0] == "mirrorctl":
            result = run(*words[1:])
            assert result.exit_code == 0, result.output
        else:
            raise AssertionError(f"not a fix this test can run: {command}")


def test_a_clean_home_after_use_tuna_has_nothing_to_report(run, pip_conf: Path, condarc: Path):
    assert run("use", "tuna", "--only", "pip", "--only", "conda").exit_code == 0
    code, document = doctor(run)
    assert (code, document["findings"], document["tools"]) == (0, [], ["pip", "conda"])
    text = run("doctor", "--offline")
    assert (text.exit_code, text.output) == (0, "offline: the mirrors were not contacted (run without --offline to "
                                                "check them)\nno problems found (pip, conda)\n")


def test_an_index_variable_beats_the_file(run, pip_conf: Path, monkeypatch):
    write(pip_conf, f"[global]\nindex-url = {TUNA}\n")
    monkeypatch.setenv("PIP_INDEX_URL", "https://pypi.org/simple")
    _, document = doctor(run, "--only", "pip")
    found = finding(document, "env-overrides")
    assert found["fix"] == "unset PIP_INDEX_URL"
    apply_fix(run, found["fix"])
    assert "env-overrides" not in codes(doctor(run, "--only", "pip")[1])


def test_pip_config_file_devnull_disables_every_file(run, pip_conf: Path, monkeypatch):
    write(pip_conf, f"[global]\nindex-url = {TUNA}\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    _, document = doctor(run, "--only", "pip")
    found = finding(document, "config-env-disables-files")
    assert found["fix"] == "unset PIP_CONFIG_FILE"
    apply_fix(run, found["fix"])
    assert "config-env-disables-files" not in codes(doctor(run, "--only", "pip")[1])


def test_two_user_pip_files_that_disagree(run, pip_conf: Path, legacy_pip_conf: Path):
    write(legacy_pip_conf, f"[global]\nindex-url = {ALIYUN}\n")
    write(pip_conf, f"[global]\nindex-url = {TUNA}\n")
    _, document = doctor(run, "--only", "pip")
    found = finding(document, "pip.user-files-disagree")
    assert found["path"] == str(legacy_pip_conf) and found["level"] == "warning"
    assert found["fix"] == "mirrorctl reset --only pip && mirrorctl use tuna --only pip"
    apply_fix(run, found["fix"])
    assert "pip.user-files-disagree" not in codes(doctor(run, "--only", "pip")[1])
    # real pip agrees that the mirror the user had in effect is still the one in effect
    out = subprocess.run([sys.executable, "-m", "pip", "config", "get", "global.index-url"], capture_output=True,
                         text=True, timeout=120, env=dict(os.environ))
    assert out.stdout.strip() == TUNA, out.stderr


def test_trusted_host_on_an_https_index(run, pip_conf: Path):
    write(pip_conf, f"[global]\nindex-url = {TUNA}\ntrusted-host = pypi.tuna.tsinghua.edu.cn\n")
    _, document = doctor(run, "--only", "pip")
    found = finding(document, "pip.trusted-host-https")
    assert found["path"] == str(pip_conf)
    apply_fix(run, found["fix"])
    assert "pip.trusted-host-https" not in codes(doctor(run, "--only", "pip")[1])
    assert "trusted-host" not in pip_conf.read_text() and TUNA in pip_conf.read_text()


def test_a_proxy_in_pip_config_is_said(run, pip_conf: Path):
    write(pip_conf, f"[global]\nindex-url = {TUNA}\nproxy = http://proxy.lab.example:3128\n")
    found = finding(doctor(run, "--only", "pip")[1], "pip.proxy-configured")
    assert found["level"] == "info" and found["fix"] == "pip config --user unset global.proxy"
    done = subprocess.run([sys.executable, "-m", *shlex.split(found["fix"])], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ))  # real pip runs its own fix
    assert done.returncode == 0, done.stderr
    assert "pip.proxy-configured" not in codes(doctor(run, "--only", "pip")[1])


def test_a_tool_left_on_upstream_while_others_use_a_mirror(run, pip_conf: Path, condarc: Path):
    write(pip_conf, f"[global]\nindex-url = {TUNA}\n")
    write(condarc, "channels:\n  - defaults\n")
    _, document = doctor(run, "--only", "pip", "--only", "conda")
    found = finding(document, "doctor.left-on-upstream")
    assert (found["tool"], found["fix"]) == ("conda", "mirrorctl use tuna --only conda")
    apply_fix(run, found["fix"])
    assert "doctor.left-on-upstream" not in codes(doctor(run, "--only", "pip", "--only", "conda")[1])


def test_a_proxy_variable_is_information(run, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    code, document = doctor(run)
    assert code == 0
    found = finding(document, "doctor.proxy-env")
    assert found["level"] == "info" and found["fix"] == "unset HTTPS_PROXY"


def test_leftovers_of_an_interrupted_run_and_clean_removes_exactly_those(run, pip_conf: Path, tmp_path: Path):
    write(pip_conf, f"[global]\nindex-url = {TUNA}\n")
    assert run("use", "ustc", "--only", "pip").exit_code == 0
    before = {p: p.read_bytes() for p in pip_conf.parent.iterdir()}
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True,
                          check=True).stdout.strip()  # a pid that has ended
    temp = pip_conf.parent / f".pip.conf.{dead}.abc123.mirrorctl-tmp"
    temp.write_text("half a file")
    unfinished = paths.backups_dir() / "20260101-000000"  # no manifest: an interrupted run's
    unfinished.mkdir(parents=True)
    (unfinished / "0").write_bytes(b"blob")
    code, document = doctor(run, "--only", "pip")
    assert code == 0  # warnings: the tools still work
    leftovers = sorted(f["path"] for f in document["findings"] if f["code"] == "doctor.leftover")
    assert leftovers == sorted([str(temp), str(unfinished)])
    assert all(f["fix"] == "mirrorctl doctor --clean" for f in document["findings"] if f["code"] == "doctor.leftover")
    cleaned = run("doctor", "--offline", "--clean", "--only", "pip")
    from mirrorctl.errors import display_path

    assert f"removed {display_path(temp)} (left by an interrupted run)" in cleaned.output.splitlines()
    assert f"removed {display_path(unfinished)} (left by an interrupted run)" in cleaned.output.splitlines()
    assert not temp.exists() and not unfinished.exists()
    assert {p: p.read_bytes() for p in pip_conf.parent.iterdir()} == before  # the user's files, byte-identical
    assert len(json.loads(run("backups", "--json").output)["backups"]) == 1  # the real backup stays
    assert "doctor.leftover" not in codes(doctor(run, "--only", "pip")[1])


def test_a_damaged_backup(run, pip_conf: Path):
    write(pip_conf, f"[global]\nindex-url = {TUNA}\n")
    assert run("use", "ustc", "--only", "pip").exit_code == 0
    backup = json.loads(run("backups", "--json").output)["backups"][0]
    directory = paths.backups_dir() / backup["id"]
    blobs = [p for p in directory.iterdir() if p.name != "manifest.json"]
    blobs[0].write_bytes(b"changed after it was saved")
    found = finding(doctor(run, "--only", "pip")[1], "doctor.backup-damaged")
    assert found["params"]["id"] == backup["id"]


@pytest.fixture
def real_conda() -> RealConda:
    return conda_client()  # skips, with the reason, where the real conda is absent


def test_ssl_verify_off_in_condarc_and_real_conda_runs_the_fix(run, condarc: Path, real_conda: RealConda,
                                                               isolated_home: Path):
    write(condarc, "channels:\n  - defaults\n# keep me\nssl_verify: false\n")
    found = finding(doctor(run, "--only", "conda")[1], "conda.ssl-verify-off")
    assert (found["path"], found["line"]) == (str(condarc), 4)
    assert real_conda.json(isolated_home, "config", "--show", "ssl_verify")["ssl_verify"] is False
    done = real_conda.run(isolated_home, *shlex.split(found["fix"])[1:])
    assert done.returncode == 0, done.stderr
    assert real_conda.json(isolated_home, "config", "--show", "ssl_verify")["ssl_verify"] is True
    assert "conda.ssl-verify-off" not in codes(doctor(run, "--only", "conda")[1])


def test_strict_priority_with_an_upstream_channel(run, condarc: Path, real_conda: RealConda, isolated_home: Path):
    # USTC carries conda-forge, not pkgs/main: conda-forge comes from USTC, defaults from upstream
    write(condarc, "channels:\n  - conda-forge\n  - defaults\ncustom_channels:\n"
                   "  conda-forge: https://mirrors.ustc.edu.cn/anaconda/cloud\nchannel_priority: strict\n")
    found = finding(doctor(run, "--only", "conda")[1], "conda.strict-priority-upstream")
    assert found["path"] == str(condarc)
    done = real_conda.run(isolated_home, *shlex.split(found["fix"])[1:])
    assert done.returncode == 0, done.stderr
    assert real_conda.json(isolated_home, "config", "--show", "channel_priority")["channel_priority"] == "flexible"
    assert "conda.strict-priority-upstream" not in codes(doctor(run, "--only", "conda")[1])


def test_an_index_cache_from_the_mirror_before(run, condarc: Path, real_conda: RealConda, isolated_home: Path):
    assert run("use", "tuna", "--only", "conda").exit_code == 0
    cache = isolated_home / ".conda" / "pkgs" / "cache"
    cache.mkdir(parents=True)
    (cache.parent / "urls.txt").touch()  # conda's mark of a package cache it writes (and so cleans)
    (cache / "0123abcd.info.json").write_text('{"url": "https://mirrors.ustc.edu.cn/anaconda/pkgs/main/linux-64"}')
    (cache / "0123abcd.json").write_text('{"packages": {}}')
    found = finding(doctor(run, "--only", "conda")[1], "conda.stale-index-cache")
    assert found["params"]["hosts"] == ["mirrors.ustc.edu.cn"] and found["fix"] == "conda clean -i"
    done = real_conda.run(isolated_home, "clean", "-i", "--yes",
                          env_extra={"CONDA_PKGS_DIRS": str(isolated_home / ".conda" / "pkgs")})
    assert done.returncode == 0, done.stderr
    assert "conda.stale-index-cache" not in codes(doctor(run, "--only", "conda")[1])


def test_text_groups_by_tool_with_the_fix_and_a_summary(run, pip_conf: Path, monkeypatch):
    write(pip_conf, f"[global]\nindex-url = {TUNA}\ntrusted-host = pypi.tuna.tsinghua.edu.cn\n")
    monkeypatch.setenv("PIP_INDEX_URL", TUNA)
    result = run("doctor", "--offline", "--only", "pip")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "pip:"
    assert "\x1b[" not in result.output  # not a terminal: no colour
    assert any(line.startswith("    fix: unset PIP_INDEX_URL") for line in lines)
    assert lines[-2] == "offline: the mirrors were not contacted (run without --offline to check them)"
    assert lines[-1].startswith("2 warnings: pip: ")


# ---------------------------------------------------------------------------------------------------------
# The network part, against loopback mirrors only (upstream references go to the trap proxy, which refuses them)


@pytest.fixture
def behind_trap(monkeypatch):
    from loopback_index import trap_proxy

    with trap_proxy() as trap:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
            monkeypatch.setenv(name, trap.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
        yield trap


@pytest.mark.parametrize("behaviour, expected", [("ok", None), ("portal", "doctor.mirror-failing"),
                                                 ("closed", "doctor.mirror-failing")])
def test_the_mirror_in_effect_is_checked(run, pip_conf: Path, behind_trap, behaviour: str, expected: str | None):
    from loopback_mirrors import Fleet, MirrorSpec

    with Fleet([MirrorSpec("lab", behaviour=behaviour)]) as fleet:
        base = fleet.base_url("lab")
        assert run("profile", "add", "lab", "--pypi", f"{base}/simple").exit_code == 0
        assert run("use", "lab", "--only", "pip").exit_code == 0
        result = run("doctor", "--only", "pip", "--timeout", "3", "--json")
    document = json.loads(result.stdout)
    mine = [f for f in document["findings"] if f["code"].startswith("doctor.mirror")]
    if expected is None:
        assert (result.exit_code, mine) == (0, [])
        return
    assert result.exit_code == 1
    assert [(f["code"], f["level"], f["params"]["profile"]) for f in mine] == [(expected, "error", "lab")]
    assert mine[0]["fix"] == "mirrorctl use --fastest --only pip"


def test_doctor_includes_the_torch_check_when_torch_is_installed(run, tmp_path: Path, monkeypatch):
    from test_torch import fake_smi, make_env

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake_smi(bin_dir, ("NVIDIA GeForce RTX 3090, 550.144.03, 8.6", 0))
    venv = make_env(tmp_path, {"torch": "2.5.1+cu121", "torchvision": "0.20.1+cu121",
                               "nvidia-cudnn-cu12": "9.1.0.70", "nvidia-cudnn-cu11": "8.5.0.96"}, "12.1")
    monkeypatch.setenv("VIRTUAL_ENV", str(venv))
    code, document = doctor(run)
    assert code == 1
    found = finding(document, "torch.nvidia-mixture")
    assert found["level"] == "error" and found["fix"].startswith("pip uninstall -y nvidia-cudnn-cu11")
    text = run("doctor", "--offline").output
    assert "nvidia-* wheels of another CUDA major than torch's cu12: nvidia-cudnn-cu11" in text


def test_doctor_says_nothing_of_torch_where_it_is_not_installed(run, tmp_path: Path, monkeypatch):
    from test_torch import make_env

    monkeypatch.setenv("VIRTUAL_ENV", str(make_env(tmp_path, {"numpy": "2.0.0"}, None)))
    _, document = doctor(run)
    assert not [f for f in document["findings"] if f["code"].startswith("torch.")]


# ---------------------------------------------------------------------------------------------------------
# The lock: an flock, so a dead holder blocks nothing; what doctor says is what the kernel and the file say


def test_a_running_holder_is_named_and_a_killed_one_leaves_only_a_record_clean_empties(run, pip_conf: Path,
                                                                                       tmp_path: Path):
    import signal

    from test_store import isolated_env

    write(pip_conf, f"[global]\nindex-url = {TUNA}\n")
    assert run("use", "ustc", "--only", "pip").exit_code == 0
    assert paths.lock_file().read_text() == ""  # a run that ends normally leaves no pid behind
    assert not [f for f in doctor(run, "--only", "pip")[1]["findings"] if f["code"].startswith("doctor.lock")]
    unfinished = paths.backups_dir() / "20260101-000000"  # as a running `use` has it, mid-backup
    unfinished.mkdir(parents=True)
    holder = subprocess.Popen([sys.executable, "-c", "import time\nfrom mirrorctl import store\nwith store.locked():"
                               "\n    print('held', flush=True)\n    time.sleep(120)\n"],
                              env=isolated_env(tmp_path), stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        code, document = doctor(run, "--only", "pip")
        found = finding(document, "doctor.lock-held")
        assert (code, found["level"], found["path"], found["params"]["pid"]) == (0, "info", str(paths.lock_file()),
                                                                                holder.pid)
        assert "doctor.leftover" not in codes(document)  # its backup in progress is not a leftover
        assert (f"another mirrorctl (pid {holder.pid}) is running: it holds the lock, and a backup it is taking is "
                "not counted as a leftover") in run("doctor", "--offline", "--only", "pip").output
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    finally:
        holder.kill()
        holder.wait()
    code, document = doctor(run, "--only", "pip")
    assert "doctor.lock-held" not in codes(document)
    killed = finding(document, "doctor.lock-killed")
    assert (killed["level"], killed["params"]["pid"], killed["fix"]) == ("info", holder.pid, "mirrorctl doctor --clean")
    assert [f["path"] for f in document["findings"] if f["code"] == "doctor.leftover"] == [str(unfinished)]
    # nothing is blocked: a change goes through at once, the kernel released the killed holder's lock
    assert run("use", "tuna", "--only", "pip").exit_code == 0
    assert "doctor.lock-killed" not in codes(doctor(run, "--only", "pip")[1])  # that run let go normally
    paths.lock_file().write_text(f"{holder.pid}\n")  # the record of the killed run again
    cleaned = run("doctor", "--offline", "--clean", "--only", "pip")
    assert cleaned.exit_code == 0, cleaned.output
    from mirrorctl.errors import display_path

    assert f"emptied the pid record of a killed run in {display_path(paths.lock_file())}" in cleaned.output
    assert not unfinished.exists() and paths.lock_file().read_text() == ""
    assert not [c for c in codes(doctor(run, "--only", "pip")[1]) if c.startswith(("doctor.lock", "doctor.leftover"))]


# ---------------------------------------------------------------------------------------------------------
# The mirror's own sync-status feed (tunasync / mirrorz JSON), served on loopback


def _feed(kind: str, now: float) -> tuple[str, bytes]:
    day = 86_400
    if kind == "tunasync-failed":  # last good sync three days ago, the latest attempt an hour ago failed
        return "tunasync", json.dumps([{"name": "pypi", "status": "failed", "last_update_ts": int(now - 3 * day),
                                        "last_started_ts": int(now - 3700), "last_ended_ts": int(now - 3600),
                                        "next_schedule_ts": int(now + 3600)}]).encode()
    if kind == "mirrorz-old":  # "S<last success>" (SJTUG's form): a success, but five days ago
        return "mirrorz", json.dumps({"mirrors": [{"cname": "pypi", "status": f"S{int(now - 5 * day)}"}]}).encode()
    return "tunasync", json.dumps([{"name": "pypi", "status": "success", "last_update_ts": int(now - 600),
                                    "last_started_ts": int(now - 700), "last_ended_ts": int(now - 600),
                                    "next_schedule_ts": int(now + 3000)}]).encode()


@pytest.mark.parametrize("kind, code, hours", [("tunasync-failed", "doctor.sync-failed", 72),
                                               ("mirrorz-old", "doctor.sync-old", 120), ("fresh", None, None)])
def test_the_mirror_status_feed_says_when_it_last_synced(run, pip_conf: Path, behind_trap, kind: str,
                                                        code: str | None, hours: int | None):
    import time

    from loopback_mirrors import FEED_PATH, Fleet, MirrorSpec

    feed_format, body = _feed(kind, time.time())
    with Fleet([MirrorSpec("lab", feed=body)]) as fleet:
        base = fleet.base_url("lab")
        write(paths.user_profiles_dir() / "lab.toml", f'name = "lab"\n[pypi]\nindex = "{base}/simple"\n[status]\n'
                                                      f'url = "{base}{FEED_PATH}"\nformat = "{feed_format}"\n')
        assert run("use", "lab", "--only", "pip").exit_code == 0
        result = run("doctor", "--only", "pip", "--timeout", "3", "--json")
        text = run("doctor", "--only", "pip", "--timeout", "3").output
        assert any(r.path == FEED_PATH for r in fleet.requests("lab"))
    document = json.loads(result.stdout)
    mine = [f for f in document["findings"] if f["code"].startswith("doctor.sync")]
    if code is None:
        assert (result.exit_code, mine) == (0, [])
        return
    assert result.exit_code == 0  # a warning: the mirror still answers
    assert [(f["code"], f["level"], f["tool"], f["params"]["profile"], f["params"]["repo"]) for f in mine] == [
        (code, "warning", "pip", "lab", "pypi")]
    assert mine[0]["params"]["hours"] == hours and mine[0]["params"]["last_success"].endswith("Z")
    assert mine[0]["fix"] == "mirrorctl use --fastest --only pip"
    assert f"({hours} h ago)" in text


# ---------------------------------------------------------------------------------------------------------
# Anaconda coverage: the channels in use, on the mirror, for this machine's platform subdir

SJTU_CONDARC = """channels:
  - defaults
  - conda-forge
  - nvidia
default_channels:
  - https://mirror.sjtu.edu.cn/anaconda/pkgs/main
  - https://mirror.sjtu.edu.cn/anaconda/pkgs/r
custom_channels:
  conda-forge: https://mirror.sjtu.edu.cn/anaconda/cloud
  nvidia: https://mirror.sjtu.edu.cn/anaconda/cloud
"""


def test_sjtu_on_an_apple_silicon_mac_and_nvidia_on_a_mirror_without_it(run, condarc: Path, monkeypatch,
                                                                       real_conda: RealConda, isolated_home: Path):
    write(condarc, SJTU_CONDARC)
    monkeypatch.setenv("CONDA_SUBDIR", "osx-arm64")  # what conda itself takes as the platform (observed below)
    arm = {"CONDA_SUBDIR": "osx-arm64"}
    assert real_conda.json(isolated_home, "config", "--show", "subdir", env_extra=arm)["subdir"] == "osx-arm64"
    code, document = doctor(run, "--only", "conda")
    gaps = [(f["code"], f["level"], f["params"]["channel"], f["path"], f["line"]) for f in document["findings"]
            if f["code"] in ("doctor.subdir-missing", "doctor.channel-missing")]
    assert gaps == [("doctor.channel-missing", "warning", "nvidia", str(condarc), 10),
                    ("doctor.subdir-missing", "warning", "pkgs/main", str(condarc), 6),
                    ("doctor.subdir-missing", "warning", "pkgs/r", str(condarc), 7)]
    assert code == 0  # from the data alone: warnings (a request confirms them as errors)
    sjtu_pkgs = finding(document, "doctor.subdir-missing")
    assert sjtu_pkgs["params"]["verified"] is True
    assert sjtu_pkgs["message"] == (
        "sjtu's mirror has no osx-arm64 packages of pkgs/main (per sjtug/mirror-docker-unified "
        "lug/worker-script/conda.pkgs.yaml: no osx-arm64, no linux-aarch64 [code]): on this osx-arm64 machine conda "
        "silently sees only its noarch packages")
    # conda's own view before the fix: every URL on SJTUG, nvidia included
    before = real_conda.json(isolated_home, "info", env_extra=arm)["channels"]
    assert "https://mirror.sjtu.edu.cn/anaconda/pkgs/main/osx-arm64" in before
    assert "https://mirror.sjtu.edu.cn/anaconda/cloud/nvidia/osx-arm64" in before
    fix = sjtu_pkgs["fix"]
    assert fix == "mirrorctl use bfsu --only conda" and finding(document, "doctor.channel-missing")["fix"] == fix
    apply_fix(run, fix)
    after = doctor(run, "--only", "conda")[1]
    assert not [c for c in codes(after) if c in ("doctor.subdir-missing", "doctor.channel-missing")]
    channels = real_conda.json(isolated_home, "info", env_extra=arm)["channels"]
    assert not [url for url in channels if "sjtu" in url]
    assert "https://mirrors.bfsu.edu.cn/anaconda/pkgs/main/osx-arm64" in channels
    assert "https://conda.anaconda.org/nvidia/osx-arm64" in channels  # no mirror here carries nvidia: upstream


def test_the_same_sjtu_file_on_linux_64_lacks_only_nvidia(run, condarc: Path, monkeypatch):
    write(condarc, SJTU_CONDARC)
    monkeypatch.setenv("CONDA_SUBDIR", "linux-64")
    _, document = doctor(run, "--only", "conda")
    assert [(f["code"], f["params"]["channel"]) for f in document["findings"] if f["code"].startswith(
        ("doctor.subdir", "doctor.channel"))] == [("doctor.channel-missing", "nvidia")]


def test_ustc_sends_pkgs_main_on_to_tuna(run, condarc: Path, monkeypatch):
    write(condarc, "channels:\n  - defaults\ndefault_channels:\n  - https://mirrors.ustc.edu.cn/anaconda/pkgs/main\n")
    monkeypatch.setenv("CONDA_SUBDIR", "linux-64")
    code, document = doctor(run, "--only", "conda")
    found = finding(document, "doctor.channel-elsewhere")
    assert (code, found["level"], found["line"], found["params"]["redirects_to"]) == (0, "info", 4, "tuna")
    assert found["message"].endswith("its requests are sent on to tuna's")
    apply_fix(run, found["fix"])
    assert "doctor.channel-elsewhere" not in codes(doctor(run, "--only", "conda")[1])


def test_an_unverified_fact_stays_marked(run, condarc: Path, monkeypatch):
    write(condarc, "channels:\n  - nvidia\ncustom_channels:\n  nvidia: https://mirror.nju.edu.cn/anaconda/cloud\n")
    found = finding(doctor(run, "--only", "conda")[1], "doctor.channel-missing")
    assert (found["level"], found["params"]["verified"], found["line"]) == ("info", False, 4)
    assert "UNVERIFIED" in found["message"]


def test_a_clean_home_after_use_tuna_has_no_coverage_finding_on_any_platform(run, condarc: Path, monkeypatch):
    assert run("use", "tuna", "--only", "conda").exit_code == 0
    for subdir in ("linux-64", "linux-aarch64", "osx-arm64", "osx-64", "win-64"):
        monkeypatch.setenv("CONDA_SUBDIR", subdir)
        code, document = doctor(run, "--only", "conda")
        assert (code, document["findings"]) == (0, []), subdir


def _lab_profile(name: str, base: str) -> str:
    return (f'name = "{name}"\n[conda]\nverified = false\nsource = "a loopback mirror"\n'
            f'default_channels = ["{base}/pkgs/main"]\n[conda.custom_channels]\nconda-forge = "{base}/cloud"\n')


def test_online_a_request_confirms_the_gaps_and_real_conda_agrees(run, condarc: Path, monkeypatch, behind_trap,
                                                                  real_conda: RealConda, isolated_home: Path):
    from loopback_channels import serve

    monkeypatch.setenv("CONDA_SUBDIR", "osx-arm64")
    arm = {"CONDA_SUBDIR": "osx-arm64", "NO_PROXY": "127.0.0.1"}
    lacking = {"pkgs/main": ["noarch", "linux-64"]}  # no osx-arm64 and no conda-forge at all
    complete = {"pkgs/main": ["noarch", "linux-64", "osx-arm64"], "cloud/conda-forge": ["noarch", "osx-arm64"]}
    with serve(lacking) as lab, serve(complete) as lab2:
        write(paths.user_profiles_dir() / "lab.toml", _lab_profile("lab", lab.base))
        write(paths.user_profiles_dir() / "lab2.toml", _lab_profile("lab2", lab2.base))
        write(condarc, "channels:\n  - defaults\n  - conda-forge\n")
        assert run("use", "lab", "--only", "conda").exit_code == 0
        result = run("doctor", "--only", "conda", "--timeout", "3", "--json")
        document = json.loads(result.stdout)
        gaps = {f["code"]: f for f in document["findings"] if f["code"] in ("doctor.subdir-missing",
                                                                               "doctor.channel-missing")}
        assert result.exit_code == 1
        assert (gaps["doctor.channel-missing"]["level"], gaps["doctor.channel-missing"]["params"]["channel"]) == (
            "error", "conda-forge")
        assert gaps["doctor.channel-missing"]["params"]["evidence"] == (
            f"{lab.base}/cloud/conda-forge/noarch/repodata.json answered 404")
        assert (gaps["doctor.subdir-missing"]["level"], gaps["doctor.subdir-missing"]["params"]["channel"]) == (
            "error", "pkgs/main")
        assert ("GET", "/pkgs/main/osx-arm64/repodata.json") in lab.seen
        # real conda: conda-forge stops it; defaults alone "works" and silently shows only noarch packages
        stopped = real_conda.run(isolated_home, "search", "demo*", env_extra=arm)
        assert stopped.returncode == 1 and "UnavailableInvalidChannel" in stopped.stdout + stopped.stderr
        silent = real_conda.run(isolated_home, "search", "--override-channels", "-c", "defaults", "demo*",
                                env_extra=arm)
        assert silent.returncode == 0 and "demo-noarch" in silent.stdout and "demo-osx-arm64" not in silent.stdout
        fix = gaps["doctor.subdir-missing"]["fix"]
        assert fix == "mirrorctl use lab2 --only conda"
        apply_fix(run, fix)
        again = run("doctor", "--only", "conda", "--timeout", "3", "--json")
        assert (again.exit_code, codes(json.loads(again.stdout))) == (0, ["doctor.proxy-env"])  # the test's trap
        found = real_conda.run(isolated_home, "search", "demo*", env_extra=arm)
        assert found.returncode == 0 and "demo-osx-arm64" in found.stdout, found.stdout + found.stderr


# ---------------------------------------------------------------------------------------------------------
# Printed fixes judged by the real tool: the finding, its file and line, the fix run, the finding gone


def _pip(python: str, *args: str, pip_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    if pip_path is not None:
        env["PYTHONPATH"] = str(pip_path)
    return subprocess.run([python, "-m", "pip", *args], env=env, capture_output=True, text=True, timeout=180,
                          check=False)


def test_an_install_section_beats_global_and_real_pip_installs_after_the_fix(run, pip_conf: Path, tmp_path: Path):
    from loopback_index import PROJECT, dead_index_url, serve_index

    dead = dead_index_url()
    with serve_index() as index:
        assert run("profile", "add", "loop", "--pypi", index.url).exit_code == 0
        write(pip_conf, f"[global]\nindex-url = {index.url}\n\n[install]\nindex-url = {dead}\n")
        install = ("install", "--dry-run", "--no-deps", "--ignore-installed", "--no-cache-dir", "--retries", "0",
                   "--timeout", "30", PROJECT)
        failed = _pip(sys.executable, *install)
        assert failed.returncode != 0 and f"Looking in indexes: {dead}" in failed.stdout, failed.stdout
        assert f"install.index-url='{dead}'" in _pip(sys.executable, "config", "list").stdout
        _, document = doctor(run, "--only", "pip")
        found = finding(document, "pip.section-beats-global")
        assert (found["path"], found["line"], found["level"]) == (str(pip_conf), 5, "warning")
        assert found["fix"] == "mirrorctl reset --only pip && mirrorctl use loop --only pip"
        apply_fix(run, found["fix"])
        assert "pip.section-beats-global" not in codes(doctor(run, "--only", "pip")[1])
        listed = _pip(sys.executable, "config", "list").stdout.splitlines()
        assert f"global.index-url='{index.url}'" in listed and not [x for x in listed if x.startswith("install.")]
        done = _pip(sys.executable, *install)
        assert done.returncode == 0 and f"Would install {PROJECT}" in done.stdout, done.stdout + done.stderr
        assert f"/simple/{PROJECT}/" in index.paths()


@pytest.mark.parametrize("scope", ["venv", "env"])
def test_a_venv_or_conda_env_pip_conf_beating_the_user_file_and_real_pip_after_the_fix(
        run, pip_conf: Path, tmp_path: Path, monkeypatch, scope: str):
    """pip reads ``sys.prefix/pip.conf`` after the user file: a real interpreter whose prefix is that folder (a
    virtualenv, or a folder standing for a conda env) runs the test interpreter's pip."""
    pip_module = pytest.importorskip("pip")
    from loopback_index import PROJECT, dead_index_url, serve_index

    folder = tmp_path / "venv" if scope == "venv" else tmp_path / "envs" / "lab"
    made = subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert made.returncode == 0, made.stderr
    if scope == "env":
        (folder / "conda-meta").mkdir()
        monkeypatch.delenv("VIRTUAL_ENV", raising=False)
        monkeypatch.setenv("CONDA_PREFIX", str(folder))
    pip_path = tmp_path / "pip-only"
    pip_path.mkdir()
    (pip_path / "pip").symlink_to(Path(pip_module.__file__).parent)
    python = str(folder / "bin" / "python")
    dead = dead_index_url()
    download = ("download", "--no-deps", "--no-cache-dir", "--retries", "0", "--timeout", "30", "-d",
                str(tmp_path / "d"), PROJECT)
    with serve_index() as index:
        assert run("profile", "add", "loop", "--pypi", index.url).exit_code == 0
        write(pip_conf, f"[global]\nindex-url = {index.url}\ntrusted-host = {index.host}\n")
        site = write(folder / "pip.conf", f"# left by an old setup\n[global]\nindex-url = {dead}\n")
        failed = _pip(python, *download, pip_path=pip_path)
        assert failed.returncode != 0 and f"Looking in indexes: {dead}" in failed.stdout, failed.stdout
        _, document = doctor(run, "--only", "pip")
        [found] = [f for f in document["findings"] if f["code"] in ("scope-shadowed", "pip.site-file-wins")]
        assert (found["path"], found["line"], found["fix"]) == (str(site), 3,
                                                                f"mirrorctl reset --only pip --scope {scope}")
        apply_fix(run, found["fix"])
        after = doctor(run, "--only", "pip")[1]
        assert not [c for c in codes(after) if c in ("scope-shadowed", "pip.site-file-wins")]
        debug = _pip(python, "config", "debug", pip_path=pip_path).stdout
        assert f"{site}, exists: " in debug and f"global.index-url: {index.url}" in debug, debug
        assert dead not in debug
        done = _pip(python, *download, pip_path=pip_path)
        assert done.returncode == 0, done.stdout + done.stderr
        assert pip_conf.read_text() == f"[global]\nindex-url = {index.url}\ntrusted-host = {index.host}\n"


def _default_channels(real_conda: RealConda, home: Path, extra: dict[str, str]) -> list[str]:
    shown = real_conda.json(home, "config", "--show", "default_channels", env_extra=extra)["default_channels"]
    return [f"{c['scheme']}://{c['location']}/{c['name']}" for c in shown]


def test_final_in_the_installation_condarc_and_real_conda_agrees(run, condarc: Path, tmp_path: Path, monkeypatch,
                                                                real_conda: RealConda, isolated_home: Path):
    """``$CONDA_ROOT/.condarc`` is what `conda config --system` writes: the installation's system file, read
    before every user file. A ``#!final`` key there makes conda ignore that key in the user's files."""
    root = tmp_path / "conda-root"
    system = write(root / ".condarc", "default_channels:  #!final\n"
                                      "  - https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main\n")
    monkeypatch.setenv("CONDA_ROOT", str(root))
    write(condarc, "channels:\n  - defaults\n# my own choice\ndefault_channels:\n"
                   "  - https://mirrors.aliyun.com/anaconda/pkgs/main\n")
    extra = {"CONDA_ROOT": str(root)}
    assert _default_channels(real_conda, isolated_home, extra) == [
        "https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main"]
    _, document = doctor(run, "--only", "conda")
    found = finding(document, "conda.final-shadowed")
    assert (found["path"], found["line"], found["params"]["final_path"]) == (str(condarc), 4, str(system))
    assert found["fix"] == f"conda config --file {condarc} --remove-key default_channels"
    done = real_conda.run(isolated_home, *shlex.split(found["fix"])[1:], env_extra=extra)
    assert done.returncode == 0, done.stderr
    assert "conda.final-shadowed" not in codes(doctor(run, "--only", "conda")[1])
    sources = real_conda.run(isolated_home, "config", "--show-sources", env_extra=extra).stdout
    assert "aliyun" not in sources and "tuna" in sources, sources
    assert "# my own choice" in condarc.read_text()  # conda's own edit keeps the rest of the file
    assert _default_channels(real_conda, isolated_home, extra) == [
        "https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main"]  # as before: the #!final value


def test_conda_channels_mixed_across_mirrors_and_real_conda_after_the_fix(run, condarc: Path, monkeypatch,
                                                                         real_conda: RealConda, isolated_home: Path):
    monkeypatch.setenv("CONDA_SUBDIR", "linux-64")
    write(condarc, "channels:\n  - defaults\n  - conda-forge\ndefault_channels:\n"
                   "  - https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/main\n"
                   "  - https://mirrors.tuna.tsinghua.edu.cn/anaconda/pkgs/r\n"
                   "custom_channels:\n  conda-forge: https://mirrors.aliyun.com/anaconda/cloud\n")
    hosts = {url.split("/")[2] for url in real_conda.json(isolated_home, "info")["channels"]}
    assert hosts == {"mirrors.tuna.tsinghua.edu.cn", "mirrors.aliyun.com"}
    found = finding(doctor(run, "--only", "conda")[1], "doctor.mixed-mirrors")
    assert found["fix"] == "mirrorctl use tuna --only conda"
    apply_fix(run, found["fix"])
    assert "doctor.mixed-mirrors" not in codes(doctor(run, "--only", "conda")[1])
    hosts = {url.split("/")[2] for url in real_conda.json(isolated_home, "info")["channels"]}
    assert hosts == {"mirrors.tuna.tsinghua.edu.cn"}


def test_a_tool_left_on_upstream_and_real_pip_and_conda_after_the_fix(run, pip_conf: Path, condarc: Path,
                                                                     real_conda: RealConda, isolated_home: Path):
    write(pip_conf, f"[global]\nindex-url = {TUNA}\n")
    write(condarc, "channels:\n  - conda-forge\n")
    assert real_conda.json(isolated_home, "info")["channels"][0].startswith("https://conda.anaconda.org/")
    found = finding(doctor(run, "--only", "pip", "--only", "conda")[1], "doctor.left-on-upstream")
    assert (found["tool"], found["path"], found["fix"]) == ("conda", str(condarc), "mirrorctl use tuna --only conda")
    apply_fix(run, found["fix"])
    assert "doctor.left-on-upstream" not in codes(doctor(run, "--only", "pip", "--only", "conda")[1])
    channels = real_conda.json(isolated_home, "info")["channels"]
    assert channels and all(url.startswith("https://mirrors.tuna.tsinghua.edu.cn/anaconda/cloud/conda-forge/")
                            for url in channels), channels
    assert _pip(sys.executable, "config", "get", "global.index-url").stdout.strip() == TUNA


# ---------------------------------------------------------------------------------------------------------
# `doctor --clean` after a real `mirrorctl use` killed with SIGKILL in the middle of its writes

#: Installed in the child with PYTHONPATH: os.replace of a mirrorctl temp file onto a file named PAUSE_AT_REPLACE
#: stops there (READY is created, then a long sleep) until the test kills the process.
REPLACE_SHIM = '''
import os, time

_replace = os.replace

def _pausing_replace(src, dst, *args, **kwargs):
    if os.path.basename(os.fspath(dst)) == os.environ.get("PAUSE_AT_REPLACE") and \\
            os.fspath(src).endswith(".mirrorctl-tmp"):
        open(os.environ["READY"], "w").close()
        time.sleep(120)
    return _replace(src, dst, *args, **kwargs)

if os.environ.get("PAUSE_AT_REPLACE"):
    os.replace = _pausing_replace
'''


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("pause_at", ["pip.conf", "manifest.json"])
def test_clean_after_a_sigkilled_use_removes_exactly_its_leftovers(run, pip_conf: Path, tmp_path: Path,
                                                                  isolated_home: Path, pause_at: str):
    """``pip.conf``: killed with the backup taken and the new pip.conf written to its temp file, not yet renamed;
    ``manifest.json``: killed while taking the backup (its files saved, its manifest not yet in place)."""
    import signal
    import time

    from test_store import isolated_env

    write(pip_conf, "# mine\n[global]\nindex-url = https://pypi.tuna.tsinghua.edu.cn/simple\ntimeout = 60\n")
    write(isolated_home / ".config" / "pip" / "notes.txt", "unrelated\n")
    home_before = _tree(isolated_home)
    shim = write(tmp_path / "shim" / "sitecustomize.py", REPLACE_SHIM).parent
    ready = tmp_path / "ready"
    env = isolated_env(tmp_path)
    env.update(PYTHONPATH=os.pathsep.join([str(shim), env["PYTHONPATH"]]), PAUSE_AT_REPLACE=pause_at,
               READY=str(ready))
    child = subprocess.Popen([sys.executable, "-m", "mirrorctl", "use", "ustc", "--only", "pip"], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        while not ready.exists():
            assert child.poll() is None, child.communicate()
            time.sleep(0.02)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == -signal.SIGKILL

    assert pip_conf.read_bytes() == home_before[str(pip_conf.relative_to(isolated_home))]  # never replaced
    code, document = doctor(run, "--only", "pip")
    leftovers = sorted(f["path"] for f in document["findings"] if f["code"] == "doctor.leftover")
    if pause_at == "pip.conf":
        [temp] = [p for p in pip_conf.parent.iterdir() if p.name.endswith(".mirrorctl-tmp")]
        assert temp.name.startswith(f".pip.conf.{child.pid}.")
        assert leftovers == [str(temp)]
        assert len(json.loads(run("backups", "--json").output)["backups"]) == 1  # complete: a real backup
    else:
        [unfinished] = [p for p in paths.backups_dir().iterdir()]
        assert not (unfinished / "manifest.json").exists()
        assert leftovers == [str(unfinished)]
        assert json.loads(run("backups", "--json").output)["backups"] == []
    assert code == 0
    assert finding(document, "doctor.lock-killed")["params"]["pid"] == child.pid
    state_before = _tree(paths.mirrorctl_state_dir())

    cleaned = run("doctor", "--offline", "--clean", "--only", "pip", "--json")
    assert cleaned.exit_code == 0, cleaned.output
    assert sorted(json.loads(cleaned.stdout)["cleaned"]) == leftovers  # exactly those
    assert json.loads(cleaned.stdout)["cleared_lock"] == str(paths.lock_file())
    assert _tree(isolated_home) == home_before  # the user's files, byte-identical, nothing added
    state_after = _tree(paths.mirrorctl_state_dir())
    kept = {name: data for name, data in state_before.items()
            if not any(str(paths.mirrorctl_state_dir() / name).startswith(gone) for gone in leftovers)}
    assert state_after == {**kept, "lock": b""}  # only the leftovers went, and the killed run's pid record
    after = doctor(run, "--only", "pip")[1]
    assert not [c for c in codes(after) if c in ("doctor.leftover", "doctor.lock-killed")]
    # and the change can now be made for real
    assert run("use", "ustc", "--only", "pip").exit_code == 0
    assert "mirrors.ustc.edu.cn" in pip_conf.read_text() and "# mine" in pip_conf.read_text()


def test_a_clean_home_after_use_online_against_loopback_mirrors_has_nothing_to_report(run, pip_conf: Path,
                                                                                      condarc: Path, monkeypatch,
                                                                                      behind_trap):
    """The same as after `use tuna`, with the network part on: a loopback mirror whose index answers and whose
    channels carry this platform's subdir. Only the test's own trap proxy is said (information)."""
    import time

    from loopback_channels import serve
    from loopback_mirrors import FEED_PATH, Fleet, MirrorSpec

    monkeypatch.setenv("CONDA_SUBDIR", "linux-64")
    now = time.time()
    feed = json.dumps([{"name": name, "status": "success", "last_update_ts": int(now - 600),
                        "last_started_ts": int(now - 700), "last_ended_ts": int(now - 600),
                        "next_schedule_ts": int(now + 3000)} for name in ("pypi", "anaconda")]).encode()
    channels = {c: ["noarch", "linux-64"] for c in ("pkgs/main", "pkgs/r", "cloud/conda-forge")}
    with Fleet([MirrorSpec("lab", feed=feed)]) as fleet, serve(channels) as conda_mirror:
        base = fleet.base_url("lab")
        write(paths.user_profiles_dir() / "lab.toml", f'name = "lab"\n[pypi]\nindex = "{base}/simple"\n'
              f'[conda]\ndefault_channels = ["{conda_mirror.url("pkgs/main")}", "{conda_mirror.url("pkgs/r")}"]\n'
              f'[conda.custom_channels]\nconda-forge = "{conda_mirror.url("cloud")}"\n'
              f'[status]\nurl = "{base}{FEED_PATH}"\nformat = "tunasync"\n')
        write(condarc, "channels:\n  - defaults\n  - conda-forge\n")
        assert run("use", "lab", "--only", "pip", "--only", "conda").exit_code == 0
        result = run("doctor", "--only", "pip", "--only", "conda", "--timeout", "3", "--json")
        asked = {path for _, path in conda_mirror.seen}
    document = json.loads(result.stdout)
    assert (result.exit_code, codes(document)) == (0, ["doctor.proxy-env"]), result.stdout
    assert {"/pkgs/main/linux-64/repodata.json", "/cloud/conda-forge/noarch/repodata.json"} <= asked


@pytest.mark.parametrize("mirror, expected", [("synced since", None), ("dead", "warning")])
def test_online_a_good_answer_overrules_the_data_and_no_answer_leaves_it(run, condarc: Path, monkeypatch,
                                                                        behind_trap, mirror: str,
                                                                        expected: str | None):
    """The data says the mirror lacks osx-arm64 for pkgs/main. A mirror that now serves it: nothing to say. A
    mirror that does not answer at all: the data's word stands (a warning), and the probe says the mirror fails."""
    from loopback_channels import serve
    from loopback_mirrors import _closed_port

    monkeypatch.setenv("CONDA_SUBDIR", "osx-arm64")
    with serve({"pkgs/main": ["noarch", "linux-64", "osx-arm64"]}) as lab:
        base = lab.base if mirror == "synced since" else f"http://127.0.0.1:{_closed_port()}"
        write(paths.user_profiles_dir() / "lab.toml", f'name = "lab"\n[conda]\n'
              f'default_channels = ["{base}/pkgs/main"]\n[[conda.coverage]]\nchannels = ["pkgs/main"]\n'
              'missing = ["osx-arm64"]\nverified = true\nsource = "the sync list, last year"\n')
        write(condarc, "channels:\n  - defaults\n")
        assert run("use", "lab", "--only", "conda").exit_code == 0
        offline = finding(doctor(run, "--only", "conda")[1], "doctor.subdir-missing")
        assert (offline["level"], offline["params"]["evidence"]) == ("warning", "per the sync list, last year")
        result = run("doctor", "--only", "conda", "--timeout", "2", "--json")
    found = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "doctor.subdir-missing"]
    assert [f["level"] for f in found] == ([expected] if expected else [])
    if mirror == "dead":
        assert "doctor.mirror-failing" in codes(json.loads(result.stdout))


def test_the_feed_of_the_anaconda_repo_is_said_for_conda(run, condarc: Path, monkeypatch, behind_trap):
    import time

    from loopback_channels import FEED_PATH, serve

    monkeypatch.setenv("CONDA_SUBDIR", "linux-64")
    now = time.time()
    feed = json.dumps([{"name": "anaconda", "status": "paused", "last_update_ts": int(now - 10 * 86_400),
                        "last_started_ts": int(now - 10 * 86_400), "last_ended_ts": int(now - 10 * 86_400)},
                       {"name": "pypi", "status": "success", "last_update_ts": int(now - 60)}]).encode()
    with serve({"pkgs/main": ["noarch", "linux-64"]}, feed=feed) as lab:
        write(paths.user_profiles_dir() / "lab.toml", f'name = "lab"\n[conda]\ndefault_channels = '
              f'["{lab.url("pkgs/main")}"]\n[status]\nurl = "{lab.base}{FEED_PATH}"\nformat = "tunasync"\n')
        write(condarc, "channels:\n  - defaults\n")
        assert run("use", "lab", "--only", "conda").exit_code == 0
        result = run("doctor", "--only", "conda", "--timeout", "3", "--json")
    found = finding(json.loads(result.stdout), "doctor.sync-paused")
    assert (result.exit_code, found["tool"], found["params"]["repo"], found["params"]["hours"]) == (
        0, "conda", "anaconda", 240)
    assert found["message"].startswith("lab's own status feed says its anaconda sync is paused; the last good one "
                                       "was ")
