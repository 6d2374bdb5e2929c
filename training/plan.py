"""``kinyu train plan``: will a training config fit the GPUs, and how long will it take? No weights, no GPU.

Per-GPU memory = model states + activations + a fixed reserve:

- model states (16-bit weights, gradients, fp32 master weights and Adam moments) come from
  DeepSpeed's own estimators, ``estimate_zero2_model_states_mem_needs`` (what
  ``estimate_zero2_model_states_mem_needs_all_cold`` prints) and ``estimate_zero3_...``, fed
  with parameter counts of the model built on the ``meta`` device. Stage 0 is stage 2 on one
  GPU (nothing partitioned); stage 1, for which DeepSpeed has no estimator, is stage 2 plus the
  16-bit gradients it does not partition.
- activations follow Korthikanti et al. 2022 ("Reducing activation recomputation in large
  transformer models", sec. 4.1) at 2 bytes per value, per layer: attention 11·sbh (+ 5·a·s²·b
  with eager attention; SDPA/flash keep no s×s matrix), MLP 2·sbh + 4·sbI (6·sbI when gated,
  e.g. SwiGLU), norms 4·sbh. With activation checkpointing every layer keeps only its 2·sbh
  input, plus one layer recomputed at a time. The logits add 10·sbV (bf16 logits, the fp32
  copy the loss takes, its fp32 gradient).
- the reserve (CUDA context, NCCL and DeepSpeed communication buckets, allocator slack) is an
  assumption, printed with the rest.

Time = training FLOPs (``kinyu.training.flops.flops_per_token`` × tokens) / (GPUs × bf16 peak × MFU).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

import torch
from deepspeed.runtime.zero.stage3 import estimate_zero3_model_states_mem_needs
from deepspeed.runtime.zero.stage_1_and_2 import estimate_zero2_model_states_mem_needs
from transformers import AutoModelForCausalLM

from kinyu.base.config import ConfigError, set_field
from kinyu.base.layout import CorpusRun
from kinyu.corpus.shards import ShardError, corpus_tokenizer_file, list_shards
from kinyu.training.config import TrainConfig, TrainInputError
from kinyu.training.data import replay_fraction, samples_for_epochs
from kinyu.training.flops import BF16_PEAK_FLOPS, device_peak_flops, flops_per_token
from kinyu.training.models import built_model_config, load_model_config

GiB = 2**30
RESERVE_BYTES = 3 * GiB
# no MFU measured on a GPU with benchmarks/train_throughput.py yet: an assumption, override with --mfu
ASSUMED_MFU = 0.40
GATED_ACTIVATIONS = ("silu", "swiglu", "gelu_pytorch_tanh", "geglu")  # with a gate projection (Llama, Qwen2, Gemma)


def parse_bytes(text: str) -> int:
    """'80GB', '80GiB', '80' (GiB, as DeepSpeed's estimators print GB) or '40000MB' -> bytes."""
    m = re.fullmatch(r"\s*([0-9.]+)\s*(gib|gb|g|mib|mb|m|tib|tb|t)?\s*", text.lower())
    if not m:
        raise ConfigError(f"--gpu-mem {text!r}: give a size such as 80GB")
    unit = (m.group(2) or "g")[0]
    return int(float(m.group(1)) * {"m": 2**20, "g": GiB, "t": 2**40}[unit])


def parse_count(text: str) -> int:
    """'370M', '1.2B', '5e8', '370000000' -> a count."""
    m = re.fullmatch(r"\s*([0-9.]+(?:e[0-9]+)?)\s*([kmbt])?\s*", text.lower())
    if not m:
        raise ConfigError(f"--tokens {text!r}: give a count such as 370M or 1.2B")
    return int(float(m.group(1)) * {None: 1, "k": 1e3, "m": 1e6, "b": 1e9, "t": 1e12}[m.group(2)])


@dataclass
class Cluster:
    nodes: int = 1
    gpus_per_node: int = 8
    gpu_mem: int = 80 * GiB
    gpu: str = "A100"
    mfu: float = ASSUMED_MFU

    @property
    def gpus(self) -> int:
        return self.nodes * self.gpus_per_node


@dataclass
class ModelShape:
    name: str
    config: object
    total_params: int
    largest_layer_params: int
    matmul_params: int


@dataclass
class Plan:
    cfg: TrainConfig
    cluster: Cluster
    model: ModelShape
    model_states: int             # bytes per GPU
    host_memory: int              # bytes per node, DeepSpeed's figure
    activations: int              # bytes per GPU
    total: int
    fits: bool
    tokens: int                   # domain tokens of one epoch
    tokens_source: str
    steps: int
    tokens_trained: int
    flops_per_token: float
    hours: float | None
    peak_flops: float | None
    suggestions: list[str] = field(default_factory=list)


def model_shape(cfg: TrainConfig) -> ModelShape:
    """Parameter counts of the configured model, built on the meta device (no weights, no memory)."""
    m = cfg.model
    model_dir = m.model_dir()
    if model_dir and (model_dir / "config.json").is_file():
        config, name = load_model_config(model_dir, m.trust_remote_code), f"{model_dir}/config.json"
    elif m.architecture.endswith(".json"):
        config, name = built_model_config(m, None), m.architecture
    elif m.path:
        raise TrainInputError(f"model.path {m.path} holds no config.json yet; to plan before the weights are there, "
                              "set model.architecture to a config.json of the same architecture (configs/train/models/)")
    else:
        config, name = built_model_config(m, _corpus_vocab_size(cfg)), f"model.architecture={m.architecture}"
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, trust_remote_code=m.trust_remote_code)
    params = list(model.parameters())  # tied weights appear once
    total = sum(p.numel() for p in params)
    # the largest set of parameters one module owns directly: what ZeRO-3 gathers at once (as DeepSpeed counts it)
    largest = max(sum(p.numel() for p in mod.parameters(recurse=False)) for mod in model.modules())
    embedding, output = model.get_input_embeddings().weight, model.get_output_embeddings()
    tied = output is not None and output.weight is embedding
    return ModelShape(name, config, total, largest, total if tied else total - embedding.numel())


def _corpus_vocab_size(cfg: TrainConfig) -> int:
    from tokenizers import Tokenizer

    try:
        return Tokenizer.from_file(str(corpus_tokenizer_file(cfg.data.corpus_runs[0]))).get_vocab_size()
    except ShardError:
        raise TrainInputError("a model built from model.architecture takes its vocabulary from the corpus tokenizer, "
                              "and data.corpus_runs[0] has none yet; set model.architecture to a config.json") from None


def model_states_bytes(shape: ModelShape, zero_stage: int, offload: bool, cluster: Cluster) -> tuple[int, int]:
    """(GPU bytes per GPU, host bytes per node) for weights, gradients and optimiser states, by DeepSpeed's estimators."""
    p, offload = shape.total_params, offload and zero_stage >= 2  # kinyu offloads the optimiser at stage 2-3 only
    if zero_stage == 3:
        # kinyu loads checkpoints inside zero.Init and never offloads parameters
        cpu, gpu, _ = estimate_zero3_model_states_mem_needs(
            p, shape.largest_layer_params, cluster.gpus_per_node, cluster.nodes, cpu_offload=offload,
            cpu_offload_params=False, zero_init=True)
        return gpu, cpu
    if zero_stage == 0:  # nothing partitioned: stage 2 on one GPU
        cpu, gpu = estimate_zero2_model_states_mem_needs(p, 1, 1, cpu_offload=False)
        return gpu, cpu
    cpu, gpu = estimate_zero2_model_states_mem_needs(p, cluster.gpus_per_node, cluster.nodes, cpu_offload=offload)
    if zero_stage == 1:  # every GPU keeps all 16-bit gradients
        gpu += int(2 * p * (1 - 1 / cluster.gpus))
    return gpu, cpu


def activation_bytes(config, seq_len: int, micro_batch: int, checkpointing: bool, eager_attention: bool) -> int:
    """Activations kept for the backward pass of one micro batch (Korthikanti et al. 2022, 2 bytes per value)."""
    s, b = seq_len, micro_batch
    h, layers, heads = config.hidden_size, config.num_hidden_layers, config.num_attention_heads
    inter = getattr(config, "intermediate_size", None) or 4 * h
    gated = getattr(config, "hidden_act", getattr(config, "hidden_activation", "")) in GATED_ACTIVATIONS
    attention = 11 * s * b * h + (5 * heads * s * s * b if eager_attention else 0)
    mlp = 2 * s * b * h + (6 if gated else 4) * s * b * inter
    layer = attention + mlp + 4 * s * b * h
    kept = layers * 2 * s * b * h + layer if checkpointing else layers * layer
    return kept + 10 * s * b * config.vocab_size


def gpu_bytes(cfg: TrainConfig, shape: ModelShape, cluster: Cluster) -> tuple[int, int, int]:
    """(model states per GPU, host bytes per node, activations per GPU) for this config on this cluster."""
    states, host = model_states_bytes(shape, cfg.deepspeed.zero_stage, cfg.deepspeed.offload_optimizer, cluster)
    acts = activation_bytes(shape.config, cfg.data.seq_len, cfg.schedule.micro_batch_size,
                            cfg.model.activation_checkpointing, cfg.model.attn_implementation == "eager")
    return states, host, acts


def corpus_tokens(cfg: TrainConfig) -> int:
    """Training tokens in the domain CORPUS_RUNs' shards (their lengths come from the shard files, nothing is read)."""
    try:
        return sum(len(s) for run in cfg.data.corpus_runs for s in list_shards(CorpusRun(run).tokens("train")))
    except ShardError as e:
        raise TrainInputError(f"{e}; give --tokens (e.g. --tokens 370M) to plan before the corpus is built") from None


def fit_problem(cfg: TrainConfig, cluster: Cluster) -> str | None:
    """Why ``cfg`` cannot fit ``cluster``'s GPUs, with the changes that would make it fit; None if it fits."""
    if cfg.deepspeed.precision == "fp32":
        return None  # the estimators assume 16-bit training: no figure to refuse on
    shape = model_shape(cfg)
    ok, gib = _fits(cfg, shape, cluster)
    if ok:
        return None
    fixes = suggestions(cfg, shape, cluster)
    return (f"this config needs about {gib:.1f} GiB per GPU ({shape.total_params / 1e9:.2f}B-parameter "
            f"{shape.config.model_type}, ZeRO-{cfg.deepspeed.zero_stage}, micro "
            f"batch {cfg.schedule.micro_batch_size} x seq {cfg.data.seq_len}) but a {cluster.gpu} has "
            f"{cluster.gpu_mem / GiB:.0f} GiB; `kinyu train plan` shows the figures. "
            + ("It would fit with: " + "; or ".join(fixes) if fixes else "No setting tried makes it fit")
            + ". Set deepspeed.check_fit=false to try anyway.")


def make_plan(cfg: TrainConfig, cluster: Cluster, tokens: int | None = None) -> Plan:
    if cfg.deepspeed.precision == "fp32":
        raise ConfigError("kinyu train plan assumes bf16 mixed precision (as DeepSpeed's estimators do); "
                          "set --deepspeed.precision bf16")
    shape = model_shape(cfg)
    states, host, acts = gpu_bytes(cfg, shape, cluster)
    total = states + acts + RESERVE_BYTES
    source = "--tokens" if tokens is not None else "tokens/train shards of data.corpus_runs"
    tokens = corpus_tokens(cfg) if tokens is None else tokens
    s, seq = cfg.schedule, cfg.data.seq_len
    global_batch = s.micro_batch_size * s.grad_accum_steps * cluster.gpus
    samples = samples_for_epochs(max(0, (tokens - 1) // seq), replay_fraction(cfg.data.replay_ratio), s.epochs)
    steps = s.max_steps or math.ceil(samples / global_batch)
    trained = steps * global_batch * seq
    per_token = flops_per_token(shape.config, shape.matmul_params, seq)
    peak = device_peak_flops(cluster.gpu)
    hours = trained * per_token / (cluster.gpus * peak * cluster.mfu) / 3600 if peak else None
    plan = Plan(cfg, cluster, shape, states, host, acts, total, total <= cluster.gpu_mem, tokens, source, steps,
                trained, per_token, hours, peak)
    if not plan.fits:
        plan.suggestions = suggestions(cfg, shape, cluster)
    return plan


def _variant(cfg: TrainConfig, changes: dict) -> TrainConfig:
    new = replace(cfg, model=replace(cfg.model), schedule=replace(cfg.schedule), deepspeed=replace(cfg.deepspeed))
    for key, value in changes.items():
        set_field(new, key, value)
    return new


def _fits(cfg: TrainConfig, shape: ModelShape, cluster: Cluster) -> tuple[bool, float]:
    states, _, acts = gpu_bytes(cfg, shape, cluster)
    total = states + acts + RESERVE_BYTES
    return total <= cluster.gpu_mem, total / GiB


NODE_COUNTS = (1, 2, 4, 8, 16, 32, 64)  # what the search tries beside the cluster's own node count

# what each change costs in speed, roughly: offloading the optimiser moves it to the CPU and its
# state over PCIe every step; ZeRO-3 gathers every layer's weights in each pass; checkpointing
# recomputes the forward pass (~1/3 more compute); micro batch 1 runs smaller, less efficient matmuls
_PENALTY = {"offload": 8.0, "zero3": 3.0, "zero2": 1.0, "zero1": 0.5, "checkpointing": 2.0, "micro1": 1.0}


@dataclass(frozen=True)
class Fit:
    """A setting that fits: the config changes, the node count, and its figures."""

    changes: dict
    nodes: int
    gib: float
    host_gib: float
    penalty: float

    def line(self, cluster: Cluster) -> str:
        flags = [f"--{k} {str(v).lower()}" for k, v in self.changes.items()]
        if self.nodes != cluster.nodes:
            flags.append(f"--nodes {self.nodes} ({self.nodes * cluster.gpus_per_node} GPUs)")
        host = f", {self.host_gib:.0f} GiB host RAM per node (optimizer on CPU)" if self.changes.get("deepspeed.offload_optimizer") else ""
        return " ".join(flags) + f"  ->  {self.gib:.1f} GiB per GPU{host}"


def _penalty(cfg: TrainConfig, changes: dict) -> float:
    d = cfg.deepspeed
    stage = changes.get("deepspeed.zero_stage", d.zero_stage)
    cost = sum(_PENALTY[f"zero{z}"] for z in range(d.zero_stage + 1, stage + 1))
    cost += _PENALTY["offload"] if changes.get("deepspeed.offload_optimizer") else 0.0
    cost += _PENALTY["checkpointing"] if changes.get("model.activation_checkpointing") else 0.0
    cost += _PENALTY["micro1"] if "schedule.micro_batch_size" in changes else 0.0
    return cost


def fitting_settings(cfg: TrainConfig, shape: ModelShape, cluster: Cluster) -> list[Fit]:
    """Every setting tried that fits, cheapest first (fewest GPUs, then the least slowdown): ZeRO
    stages from the config's up to 3, optimizer offload (stage 2-3), activation checkpointing,
    micro batch 1 (with the accumulation that keeps the global batch), on the cluster's nodes or more."""
    m, s, d = cfg.model, cfg.schedule, cfg.deepspeed
    found = []
    for stage in range(d.zero_stage, 4):
        for offload in sorted({d.offload_optimizer, True}):
            if offload and stage < 2:
                continue  # kinyu offloads the optimiser at ZeRO-2/3 only
            for checkpointing in sorted({m.activation_checkpointing, True}):
                for micro in sorted({s.micro_batch_size, 1}, reverse=True):
                    changes: dict = {}
                    if stage != d.zero_stage:
                        changes["deepspeed.zero_stage"] = stage
                    if offload != d.offload_optimizer:
                        changes["deepspeed.offload_optimizer"] = offload
                    if checkpointing != m.activation_checkpointing:
                        changes["model.activation_checkpointing"] = checkpointing
                    if micro != s.micro_batch_size:  # keep the global batch: accumulate what the micro batch no longer holds
                        changes["schedule.micro_batch_size"] = 1
                        changes["schedule.grad_accum_steps"] = s.grad_accum_steps * s.micro_batch_size
                    variant = _variant(cfg, changes)
                    for nodes in sorted({cluster.nodes, *(n for n in NODE_COUNTS if n > cluster.nodes)}):
                        on = replace(cluster, nodes=nodes)
                        states, host, acts = gpu_bytes(variant, shape, on)
                        total = states + acts + RESERVE_BYTES
                        if total <= on.gpu_mem:
                            found.append(Fit(changes, nodes, total / GiB, host / GiB, _penalty(cfg, changes)))
                            break  # more nodes than the fewest that fit only cost more
    return sorted(found, key=lambda f: (f.nodes, f.penalty, f.gib))


def suggestions(cfg: TrainConfig, shape: ModelShape, cluster: Cluster) -> list[str]:
    """The cheapest settings that make the config fit, each with its figure: on the cluster as
    given (when any fits there), with the fewest GPUs overall, and without optimizer offload (the
    slowest change). Empty when nothing tried fits."""
    fits = [f for f in fitting_settings(cfg, shape, cluster) if f.changes or f.nodes != cluster.nodes]
    picks = [
        next((f for f in fits if f.nodes == cluster.nodes), None),
        fits[0] if fits else None,
        next((f for f in fits if not f.changes.get("deepspeed.offload_optimizer")), None),
    ]
    out: list[str] = []
    for f in picks:
        if f is not None and f.line(cluster) not in out:
            out.append(f.line(cluster))
    return out


def render(plan: Plan) -> str:
    c, cfg, sh = plan.cluster, plan.cfg, plan.model
    d, s = cfg.deepspeed, cfg.schedule
    offload = "optimizer on CPU" if d.offload_optimizer and d.zero_stage >= 2 else "no offload"
    attention = "eager attention" if cfg.model.attn_implementation == "eager" else "SDPA/flash attention"
    lines = [
        f"model        {sh.name}: {sh.config.model_type}, {sh.total_params / 1e9:.2f}B parameters "
        f"(largest layer {sh.largest_layer_params / 1e6:.0f}M)",
        f"cluster      {c.nodes} node(s) x {c.gpus_per_node} GPU(s) = {c.gpus} x {c.gpu} with {c.gpu_mem / GiB:.0f} GiB",
        f"setting      ZeRO-{d.zero_stage}, {offload}, bf16, micro batch {s.micro_batch_size} x seq {cfg.data.seq_len}, "
        f"activation checkpointing {'on' if cfg.model.activation_checkpointing else 'off'}, {attention}",
        "",
        "memory per GPU (GiB)",
        f"  model states  {plan.model_states / GiB:8.1f}   DeepSpeed estimator (weights, grads, fp32 master, Adam)",
        f"  activations   {plan.activations / GiB:8.1f}   Korthikanti et al. 2022 per layer + logits",
        f"  reserve       {RESERVE_BYTES / GiB:8.1f}   CUDA context, NCCL/DeepSpeed buckets (assumed)",
        f"  total         {plan.total / GiB:8.1f}   of {c.gpu_mem / GiB:.0f} -> "
        + ("FITS" if plan.fits else "DOES NOT FIT"),
        f"  host RAM      {plan.host_memory / GiB:8.1f}   per node, DeepSpeed's figure for this setting",
        "",
        f"tokens       {plan.tokens:,} per epoch ({plan.tokens_source}), {s.epochs:g} epoch(s)"
        + (f", replay {cfg.data.replay_ratio:.0%} on top" if cfg.data.replay_ratio else ""),
        f"steps        {plan.steps:,} x {s.micro_batch_size * s.grad_accum_steps * c.gpus} windows "
        f"(micro {s.micro_batch_size} x accumulation {s.grad_accum_steps} x {c.gpus} GPUs) = "
        f"{plan.tokens_trained:,} tokens trained",
        f"compute      {plan.flops_per_token / 1e9:.1f} GFLOP per token (kinyu.training.flops), "
        f"{plan.flops_per_token * plan.tokens_trained:.3g} FLOP in all",
    ]
    if plan.hours is not None:
        lines.append(f"time         {plan.hours:,.1f} h ({plan.hours / 24:.1f} days) at {c.mfu:.0%} MFU of "
                     f"{plan.peak_flops / 1e12:.0f} TFLOP/s bf16 per GPU"
                     + (" (MFU assumed: no GPU measurement yet; set --mfu)" if c.mfu == ASSUMED_MFU else ""))
    else:
        lines.append(f"time         unknown: no bf16 peak for GPU {c.gpu!r}; known: {', '.join(BF16_PEAK_FLOPS)}")
    if cfg.model.activation_checkpointing:
        lines.append("             activation checkpointing recomputes the forward pass (~1/3 more work): an MFU "
                     "measured without it overstates the speed")
    if not plan.fits:
        lines += ["", "does not fit; the cheapest settings that fit (fewest GPUs, then the least slowdown):" if plan.suggestions else
                  "does not fit, and nothing tried (ZeRO stages up to 3, optimizer offload, activation checkpointing, "
                  f"micro batch 1, up to {NODE_COUNTS[-1]} nodes) makes it fit: use larger GPUs or a smaller model"]
        lines += [f"  {x}" for x in plan.suggestions]
    return "\n".join(lines)
