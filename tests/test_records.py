import json
import subprocess

from da_bench.runner.records import device_facts, git_state, iter_records, read_record, write_json_atomic


def test_atomic_write_leaves_only_the_record(tmp_path):
    write_json_atomic(tmp_path / "run" / "record.json", {"status": "done", "acc": 0.5})
    assert [p.name for p in (tmp_path / "run").iterdir()] == ["record.json"]
    assert read_record(tmp_path / "run") == {"status": "done", "acc": 0.5}


def test_unreadable_record_is_skipped_not_fatal(tmp_path):
    write_json_atomic(tmp_path / "a" / "record.json", {"run_id": "a"})
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "record.json").write_text("{not json")
    assert read_record(tmp_path / "b") is None
    assert [r["run_id"] for r in iter_records(tmp_path)] == ["a"]


def test_git_state_counts_only_the_package_as_dirty(tmp_path):
    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=tmp_path, check=True, capture_output=True)

    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "code.py").write_text("x = 1\n")
    (tmp_path / "results.json").write_text(json.dumps({}))
    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "init")
    (tmp_path / "results.json").write_text(json.dumps({"new": 1}))  # results written beside the code
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "record.json").write_text("{}")
    state = git_state(tmp_path / "pkg")
    assert len(state["git_commit"]) == 40 and state["git_dirty"] is False
    (tmp_path / "pkg" / "code.py").write_text("x = 2\n")
    assert git_state(tmp_path / "pkg")["git_dirty"] is True


def test_git_state_outside_a_repository(tmp_path):
    assert git_state(tmp_path) == {"git_commit": None, "git_dirty": None}


def test_device_facts_name_the_gpu_only_on_cuda(monkeypatch):
    import torch

    assert device_facts("cpu") == {"device": "cpu"}
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device: f"NVIDIA H200 (index {torch.device(device).index})")
    assert device_facts(torch.device("cuda", 0)) == {"device": "cuda:0", "gpu": "NVIDIA H200 (index 0)"}
