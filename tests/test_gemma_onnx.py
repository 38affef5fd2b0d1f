"""The int8 onnxruntime EmbeddingGemma: built once per session, checked against the fp32 model."""

from __future__ import annotations

from int8_engine_checks import NL_PASSAGE, Int8EngineChecks, sorted_batch_lengths

from assistant.models.gemma_onnx import BATCH_TOKENS, GemmaOnnxEmbedder, _batches, prepare_gemma_onnx
from assistant.models.gemma import prepared_gemma_dir


class TestGemmaOnnx(Int8EngineChecks):
    engine = GemmaOnnxEmbedder
    prepare = staticmethod(prepare_gemma_onnx)
    fp32_dir = staticmethod(prepared_gemma_dir)
    encoder_setting = "embeddinggemma-onnx-int8"
    name = "onnx-int8:embeddinggemma-300m"
    dim = 768
    batch_vs_alone_min = 0.9999
    batch_passage = NL_PASSAGE
    cross_language_margin = 0.05


def test_batches_sort_by_length_within_the_token_budget() -> None:
    lengths = [300, 5, 12, 40, 310, 6, 290, 80, 7, 3000]
    batches = sorted_batch_lengths(_batches(lengths, batch_size=3), lengths, batch_size=3)
    for sizes in batches:
        assert len(sizes) == 1 or len(sizes) * max(sizes) <= BATCH_TOKENS
    assert batches[-1] == [3000]
