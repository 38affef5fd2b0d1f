"""The int8 onnxruntime e5-small: built once per session, checked against the fp32 model."""

from __future__ import annotations

import pytest
from int8_engine_checks import EN_PASSAGE, Int8EngineChecks, sorted_batch_lengths

from assistant.models.e5 import prepared_model_dir
from assistant.models.e5_onnx import OnnxEmbedder, _batches, prepare_onnx


class TestOnnxEncoder(Int8EngineChecks):
    engine = OnnxEmbedder
    prepare = staticmethod(prepare_onnx)
    fp32_dir = staticmethod(prepared_model_dir)
    encoder_setting = "e5-small-onnx-int8"
    name = "onnx-int8:multilingual-e5-small"
    dim = 384
    batch_vs_alone_min = 0.999
    batch_passage = EN_PASSAGE
    cross_language_margin = 0.02


@pytest.mark.model
def test_batches_group_similar_lengths() -> None:
    lengths = [300, 5, 12, 40, 310, 6, 290, 80, 7]
    for sizes in sorted_batch_lengths(_batches(lengths, batch_size=2), lengths, batch_size=2):
        assert max(sizes) <= 2 * min(sizes)
