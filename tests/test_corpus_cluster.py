"""`kinyu corpus build` on real clusters started on this machine: a single-node Slurm (munged,
slurmctld, slurmd) and a Ray head from `ray start --head`. Both build the embedded sample through
token shards; docs/, removed/, tokens/ (and the quarantine list and tokenizer) must be
byte-identical to the local executor's.

Where the cluster software is missing these tests skip with the reason, except in CI (CI=true),
where they fail: a green CI means the jobs really ran.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from test_corpus_build import build_args, run_cli, tree_digest  # docs/, removed/, tokens/, tokenizer/, quarantine
from testkit.ray_cluster import local_ray_head, ray_binary
from testkit.slurm import local_slurm_cluster, missing_binaries

REPO = Path(__file__).resolve().parents[1]
PARTITION = "kinyu-test"
# every MinHash band is one task, and on a cluster each task is a process that starts Python:
# 5 bands of 3 instead of 25 of 7 keep these tests short and still catch the sample's near-duplicate
FEWER_BANDS = ("--dedup.num_buckets", "5", "--dedup.hashes_per_bucket", "3")

pytestmark = pytest.mark.slow


def unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI must run this test)")
    pytest.skip(reason)


def build(out: Path, *extra: str) -> int:
    return run_cli(*build_args(out, out.parent / "cache", *FEWER_BANDS, *extra))


def this_checkout_first_on_pythonpath(mp: pytest.MonkeyPatch) -> None:
    # jobs run in other processes: they must import the code under test, not an installed copy
    mp.setenv("PYTHONPATH", os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]))


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("local") / "run"
    assert build(run, "--workers", "2") == 0
    digest = tree_digest(run)
    assert any(k.startswith("tokens/train/") for k in digest) and any(k.startswith("removed/minhash_dedup/") for k in digest)
    return run


@pytest.fixture(scope="module")
def slurm_cluster():
    missing = missing_binaries()
    if missing:
        unavailable(f"Slurm/munge not installed ({', '.join(missing)}): apt-get install slurm-wlm munge")
    if os.geteuid() != 0:
        unavailable("the test Slurm cluster runs its daemons as root (SlurmUser=root)")
    with pytest.MonkeyPatch.context() as mp:
        this_checkout_first_on_pythonpath(mp)
        with local_slurm_cluster(PARTITION) as cluster:
            mp.setenv("SLURM_CONF", str(cluster.conf))  # for the sbatch that datatrove runs in this process
            mp.setenv("PATH", cluster.env["PATH"])
            yield cluster


def slurm_job_logs(run: Path) -> str:
    parts = []
    for log in sorted(run.glob("logs/*/slurm_logs/*.out")):
        parts.append(f"--- {log.relative_to(run)}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:]))
    return "\n".join(parts)


def queued_jobs(cluster) -> list[dict[str, str]]:
    """``scontrol show job`` as one ``{field: value}`` per queued job."""
    lines = cluster.command("scontrol", "show", "job", "--oneliner").splitlines()
    return [dict(kv.split("=", 1) for kv in line.split() if "=" in kv) for line in lines if line.strip()]


def test_slurm_build_is_byte_identical_to_local(slurm_cluster, local_run, tmp_path):
    probe = tmp_path / "probe.out"
    slurm_cluster.command("sbatch", "-o", str(probe), "--wrap", f"{sys.executable} -c 'import corpus; print(corpus.__file__)'")

    out = tmp_path / "run"
    code = build(
        out, "--executor", "slurm", "--workers", "2",
        "--executor.slurm_partition", PARTITION, "--executor.slurm_time", "00:15:00",
        "--executor.slurm_mem_per_cpu_gb", "1", "--executor.slurm_job_name", "kt",
    )
    assert code == 0
    # build() returns once everything is submitted; the finalize job at least still waits on the others
    jobs = [job for job in queued_jobs(slurm_cluster) if job.get("JobName", "").startswith("kt-")]
    summary = "\n".join(f"{j['JobName']} {j['Partition']} {j['TimeLimit']} {j.get('ArrayTaskThrottle')}" for j in jobs)
    assert any(j["JobName"] == "kt-finalize" for j in jobs), summary
    assert all(j["Partition"] == PARTITION and j["TimeLimit"] == "00:15:00" for j in jobs), summary
    assert any(j["JobName"] == "kt-tokens_train" and j.get("ArrayTaskThrottle") == "2" for j in jobs), summary
    script = (out / "logs" / "extract" / "launch_script.slurm").read_text()
    assert "#SBATCH --array=0-1%2" in script
    assert "--qos" not in script  # no QOS unless asked for: many clusters have no "normal"
    if sys.prefix != sys.base_prefix:
        assert f"source {Path(sys.prefix).resolve() / 'bin' / 'activate'}" in script

    slurm_cluster.wait_until_empty(timeout=600)
    assert probe.read_text().strip() == str(REPO / "corpus" / "__init__.py")
    assert (out / "manifest.json").is_file(), f"the build did not finish under Slurm:\n{slurm_job_logs(out)}"
    # every finished task ran as a Slurm job: its log is in the job's output file
    ran_in_slurm = sum("Processing done for rank" in p.read_text(errors="replace") for p in out.glob("logs/*/slurm_logs/*.out"))
    assert ran_in_slurm == len(list(out.glob("logs/*/completions/*"))) > 20
    assert tree_digest(out) == tree_digest(local_run)
    local_manifest = json.loads((local_run / "manifest.json").read_text())
    assert json.loads((out / "manifest.json").read_text())["accounting"] == local_manifest["accounting"]


def test_ray_build_on_a_running_cluster_is_byte_identical_to_local(local_run, tmp_path):
    try:
        import ray
    except ImportError:
        unavailable("Ray is an optional extra: pip install 'kinyu[ray]'")
    if ray_binary() is None:
        unavailable("the ray CLI is not installed")
    with pytest.MonkeyPatch.context() as mp:
        this_checkout_first_on_pythonpath(mp)
        with local_ray_head(cpus=2, env=dict(os.environ)) as address:
            assert not ray.is_initialized()
            try:
                out = tmp_path / "run"
                assert build(out, "--executor", "ray", "--workers", "2", "--executor.ray_address", address) == 0
                # the build attached to that cluster rather than starting a Ray of its own
                assert ray.get_runtime_context().gcs_address.rpartition(":")[2] == address.rpartition(":")[2]
            finally:
                ray.shutdown()
    assert (out / "manifest.json").is_file()
    assert tree_digest(out) == tree_digest(local_run)
