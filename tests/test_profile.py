import os
import subprocess
import sys

import pytest

from decondl import profile


def test_env_var_wins(monkeypatch):
    monkeypatch.setenv(profile.ENV_VAR, "full")
    monkeypatch.delenv(profile.SOURCE_VAR, raising=False)
    monkeypatch.setattr(profile, "gpu_available", lambda: pytest.fail("must not detect the GPU"))
    active = profile.current()
    assert active.name == "full"
    assert "DECONDL_PROFILE" in active.describe()


@pytest.mark.parametrize("value", [" Quick ", "QUICK", "quick"])
def test_env_var_is_normalised(monkeypatch, value):
    monkeypatch.setenv(profile.ENV_VAR, value)
    assert profile.current().name == "quick"


def test_unknown_profile_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(profile.ENV_VAR, "fast")
    with pytest.raises(ValueError, match=r"DECONDL_PROFILE='fast'.*quick"):
        profile.current()


@pytest.mark.parametrize(("gpu", "expected"), [(True, "full"), (False, "quick")])
def test_detection_when_unset(monkeypatch, gpu, expected):
    monkeypatch.delenv(profile.ENV_VAR, raising=False)
    monkeypatch.setattr(profile, "gpu_available", lambda: gpu)
    active = profile.current()
    assert active.name == expected
    assert "GPU" in active.source


def test_get_rejects_bad_names():
    with pytest.raises(TypeError, match="name must be a str"):
        profile.get(3)
    with pytest.raises(ValueError, match=r"name must be one of \[.full., .quick., .smoke.\]"):
        profile.get("medium")


def test_profiles_are_read_only_and_name_missing_keys():
    quick = profile.get("quick")
    with pytest.raises(TypeError):
        quick.params["epochs"] = 1
    with pytest.raises(KeyError, match="no parameter 'nope'"):
        quick["nope"]


def test_full_and_quick_define_the_same_parameters():
    assert set(profile.get("quick").params) == set(profile.get("full").params)


def test_detection_does_not_import_tensorflow_in_the_caller():
    env = {k: v for k, v in os.environ.items() if k != profile.ENV_VAR}
    code = (
        "import sys, decondl.profile as p; active = p.current(); "
        "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'; print(active.name)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    # This test machine has no GPU; on a GPU machine the answer is "full".
    expected = "full" if profile.gpu_available() else "quick"
    assert result.stdout.strip() == expected


def test_model_dir_is_per_profile_and_configurable(monkeypatch, tmp_path):
    monkeypatch.setenv(profile.MODEL_DIR_VAR, str(tmp_path))
    assert profile.model_dir("care-1a2b", profile.get("full")) == tmp_path / "full" / "care-1a2b"
    monkeypatch.setenv(profile.ENV_VAR, "quick")
    assert profile.model_dir("care") == tmp_path / "quick" / "care"
    monkeypatch.delenv(profile.MODEL_DIR_VAR)
    assert profile.model_dir("care").parts[-4:] == ("decondl", "models", "quick", "care")


@pytest.mark.parametrize("name", ["", "..", "a/b", "../x", 3])
def test_model_dir_rejects_paths(name):
    with pytest.raises(ValueError, match="plain folder name"):
        profile.model_dir(name, profile.get("quick"))


def test_source_hash_covers_every_module(tmp_path, monkeypatch):
    digest = profile.source_hash()
    assert len(digest) == 64 and digest == profile.source_hash()
    # The hash reads the files: a copy of the package with one byte changed hashes differently.
    import shutil
    from pathlib import Path

    copy = tmp_path / "decondl"
    shutil.copytree(Path(profile.__file__).parent, copy)
    monkeypatch.setattr(profile, "__file__", str(copy / "profile.py"))
    assert profile.source_hash() == digest
    (copy / "metrics.py").write_text((copy / "metrics.py").read_text() + "\n# changed\n")
    assert profile.source_hash() != digest


def test_every_profile_defines_the_same_parameters():
    names = {name: set(p.params) for name, p in profile.PROFILES.items()}
    assert set(names) == {"quick", "full", "smoke"}
    assert all(keys == names["quick"] for keys in names.values()), names


def test_smoke_is_tiny_and_chosen_only_explicitly(monkeypatch):
    smoke, quick = profile.get("smoke"), profile.get("quick")
    for key, value in smoke.params.items():
        assert 0 < value <= quick[key], key
    assert smoke["unet_epochs"] <= 2 and smoke["care_epochs"] <= 2 and smoke["stardist_epochs"] <= 2
    monkeypatch.setenv(profile.ENV_VAR, "smoke")
    monkeypatch.delenv(profile.SOURCE_VAR, raising=False)
    assert profile.current().name == "smoke"
    monkeypatch.delenv(profile.ENV_VAR)
    for gpu in (True, False):  # detection picks full or quick, never smoke
        monkeypatch.setattr(profile, "gpu_available", lambda gpu=gpu: gpu)
        assert profile.current().name == ("full" if gpu else "quick")
