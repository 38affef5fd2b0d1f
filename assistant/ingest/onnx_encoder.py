"""A faster multilingual-e5-small: int8 onnxruntime graph built offline from the prepared folder.

`prepare_onnx` exports the verified fp32 BertModel (`model_prep`) with torch once, fuses it with
onnxruntime's transformer optimizer (EmbedLayerNormalization, Attention, BiasGelu,
SkipLayerNormalization), quantizes every matrix to int8 and only installs the result once it
reproduces the fp32 sentence-transformers vectors (VERIFIED.json). At run time `OnnxEmbedder`
needs onnxruntime, tokenizers and numpy: no torch, loads in ~1-2 s.

Quantization (measured on 200 passages of ~800 characters against fp32; see the benchmark):
- onnxruntime's dynamic int8 quantizes activations per tensor, i.e. with one range for the whole
  batch. The FFN inputs carry huge values on the <s> and </s> rows only (GELU output up to 66
  where other tokens stay under ~6), so one range for all rows wastes most of the 8 bits:
  all-int8 per-channel gave cosine min 0.987 (mean 0.994), and vectors changed with batch-mates.
- So the two FFN matrices of each layer get the rows of <s> and </s> ("special rows", a model
  input computed at run time) out of the main product: those rows are zeroed before the int8
  MatMul and go through a second, small int8 MatMul on the same weights with their own
  activation range, then are scattered back. Cosine min 0.9987, mean 0.9991, batch vs alone min
  0.9991. (A float32 MatMul for those rows gave the same cosines but doubled the latency of a
  single query: it streams 4x larger weights for two rows.)
- Weights are int8 per output channel with 7-bit range (`reduce_range`): on AVX2 without VNNI
  the u8 x s8 kernel (vpmaddubsw) saturates 16-bit pair sums with full-range weights; this alone
  moved the cosine min from 0.996 to 0.998 here.
- Cost: the special-row nodes (mostly ScatterND copies) take ~7-10% of the run time.
- Rejected: FFN output matrices in float32 (min 0.9987, but ~18% more CPU than all-int8, ~6%
  more than this); fp32 FFN output of layers 2 and 4 only (min 0.997, but batch vs alone down to
  0.997); 4-bit MatMulNBits from the exact q4_0 weights (cosine 0.9999, but ~1.5x slower than
  int8 on this AVX2-only CPU).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.ingest.embedding import PASSAGE_PROMPT, QUERY_PROMPT
from assistant.errors import ModelNotPreparedError
from assistant.ingest.model_prep import MODEL_NAME
from assistant.ingest.onnx_runtime import (Int8Embedder, build_main, compare_with_fp32,
                                           export_fp32, length_sorted_batches, log, padded,
                                           prepare_int8)

ONNX_DIR_NAME = f"{MODEL_NAME}-onnx-int8"
# Bump when the build recipe changes: an older folder then counts as not prepared and is rebuilt.
RECIPE = 2
MIN_COSINE = 0.99  # per text, against the fp32 sentence-transformers model; else nothing installs
MAX_TOKENS = 512
DIM = 384
NUM_HEADS = 12
PAD_ID = 1  # <pad>; padded positions are masked out anyway
MAX_LENGTH_RATIO = 2.0  # longest / shortest token count within one batch
_NOT_PREPARED = (
    "The fast (onnx-int8) embedding model is not prepared yet. "
    "Run `assistant prepare` (or `make run`)."
)

SPECIAL_ROWS = "special_rows"  # model input: flat indices (row * width + position) of <s>, </s>
# The FFN matrices (intermediate and output dense) of every layer; not the attention output.
_ISOLATED = re.compile(r"layer\.\d+/(intermediate|output)/dense/MatMul$")
_QUANTIZATION = (
    "int8 dynamic, weights per channel with 7-bit range; in the FFN products the <s> and </s> "
    "rows get their own activation range"
)


# ---------------------------------------------------------------- run time


class OnnxEmbedder(Int8Embedder):
    """multilingual-e5-small on onnxruntime (int8), with the e5 query/passage prompts.

    Texts are truncated to 512 tokens and sorted by length into batches of similar lengths
    (little padding; see `_batches`).
    """

    model_name = MODEL_NAME
    name = f"onnx-int8:{MODEL_NAME}"
    dim = DIM
    max_tokens = MAX_TOKENS
    query_prompt = QUERY_PROMPT
    passage_prompt = PASSAGE_PROMPT
    folder_name = ONNX_DIR_NAME
    recipe = RECIPE
    min_cosine = MIN_COSINE
    not_prepared = _NOT_PREPARED

    def __init__(self, folder: Path, *, batch_size: int = 32, threads: int | None = None) -> None:
        super().__init__(folder, batch_size=batch_size, threads=threads)
        self._inputs = {i.name for i in self._session.get_inputs()}

    def _batches_of(self, lengths: list[int]) -> list[np.ndarray]:
        return _batches(lengths, self._batch_size)

    def _run(self, batch: list[list[int]]) -> np.ndarray:
        """Mean over real tokens of last_hidden_state, then L2 normalize (rows as given)."""
        input_ids, mask, lengths = padded(batch, PAD_ID)
        width = input_ids.shape[1]
        feeds = {"input_ids": input_ids, "attention_mask": mask}
        if SPECIAL_ROWS in self._inputs:
            feeds[SPECIAL_ROWS] = _special_rows(lengths, width)
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(input_ids)
        (hidden,) = self._session.run(["last_hidden_state"], feeds)
        summed = np.matmul(mask.astype(np.float32)[:, None, :], hidden)[:, 0, :]
        vectors = summed / lengths[:, None].astype(np.float32)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return vectors.astype(np.float32, copy=False)


# Named like the fp32 folders' prepared_model_dir / prepared_gemma_dir.
prepared_onnx_dir = OnnxEmbedder.prepared_dir


def _batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Indices of texts sorted by token count, cut into batches of similar lengths.

    A batch ends before a text over MAX_LENGTH_RATIO times its shortest one: int8 activations
    share one range per batch, so a short text batched with long ones would be embedded
    slightly differently (cosine ~0.998) than alone; within a 2x span it stays > 0.999.
    """
    return length_sorted_batches(lengths, batch_size, max_length_ratio=MAX_LENGTH_RATIO)


def _special_rows(lengths: np.ndarray, width: int) -> np.ndarray:
    """Flat row indices (row * width + position) of each text's <s> (first) and </s> (last).

    Padding rows are left in the int8 path: they carry no outliers (measured: same cosines with
    or without them) and, unlike <s>/</s>, their number grows with the batch's length spread.
    """
    starts = np.arange(len(lengths), dtype=np.int64) * width
    return np.concatenate([starts, starts + lengths - 1])


# ---------------------------------------------------------------- verification texts

# ~30 texts checked on every build: questions (query prompt), short sentences and ~800-character
# passages (passage prompt) in the product's three languages, with accents and apostrophes.
_CHECK_QUERIES = {
    "nl": [
        "Hoeveel mag de verhuurder vragen als huurwaarborg?",
        "Mag mijn huisbaas de huur verhogen tijdens het contract?",
        "Wie moet de herstellingen betalen in een huurwoning?",
        "Hoe lang is de opzegtermijn als ik mijn woning wil verlaten?",
    ],
    "fr": [
        "Combien de temps dure le préavis si je veux quitter mon logement ?",
        "Le propriétaire peut-il entrer chez moi sans prévenir ?",
        "Qui paie les grosses réparations dans un appartement loué ?",
        "Comment obtenir un logement social à Bruxelles ?",
    ],
    "en": [
        "Can my landlord raise the rent in the middle of the lease?",
        "How much can a landlord ask as a rental deposit?",
        "What happens to my lease if the building is sold?",
        "Where can I get help if my home is unfit to live in?",
    ],
}
_CHECK_SENTENCES = {
    "nl": [
        "De huurder geeft de woning bij het einde van de huur in goede staat terug.",
        "De gemeente haalt het huisvuil elke dinsdagochtend op.",
    ],
    "fr": [
        "Le propriétaire fait les grosses réparations, l'entretien courant revient au locataire.",
        "Le bail de résidence principale doit être établi par écrit.",
    ],
    "en": [
        "A social housing application must be renewed every year.",
        "The tenant must insure the home against fire and water damage.",
    ],
}
_CHECK_PASSAGES = {
    "nl": [
        "De huurwaarborg voor een woninghuur mag niet hoger zijn dan twee maanden huur wanneer "
        "hij op een geïndividualiseerde rekening op naam van de huurder wordt gezet. Kiest de "
        "huurder voor een bankwaarborg die hij geleidelijk samenstelt, dan kan die oplopen tot "
        "drie maanden huur. De interesten op de rekening komen de huurder toe. Bij het einde van "
        "de huur wordt de waarborg vrijgegeven na een tegensprekelijke plaatsbeschrijving van "
        "uittrede, of op basis van een akkoord tussen beide partijen. Weigert de verhuurder zonder "
        "reden de waarborg vrij te geven, dan kan de huurder naar de vrederechter stappen. De "
        "verhuurder mag de waarborg niet gebruiken om achterstallige huur van de laatste maanden "
        "te betalen zonder akkoord van de huurder.",
        "Een huurovereenkomst van negen jaar kan door de huurder op elk moment worden opgezegd "
        "met een opzegtermijn van drie maanden. Tijdens de eerste drie jaar is wel een "
        "opzegvergoeding verschuldigd: drie, twee of één maand huur, naargelang de huurder in het "
        "eerste, tweede of derde jaar vertrekt. De opzegging gebeurt met een aangetekende brief, "
        "een deurwaardersexploot of door afgifte van de opzeggingsbrief tegen ontvangstbewijs. "
        "De termijn begint te lopen op de eerste dag van de maand die volgt op de maand waarin "
        "de opzegging werd gegeven. Een verhuurder die de woning zelf wil betrekken, moet een "
        "opzegtermijn van zes maanden respecteren en de woning binnen het jaar effectief bewonen.",
        "Het project NETCO liep van mei 2022 tot april 2024 en wilde steden, lokale actoren en "
        "inwoners samenbrengen rond het model van collaborative housing. Bewoners delen daarbij "
        "bepaalde ruimtes, zoals een keuken, een wasplaats of een tuin, terwijl elk gezin een "
        "eigen woning behoudt. Het netwerk organiseerde bezoeken, werkgroepen en uitwisselingen "
        "tussen projecten uit verschillende Europese steden. Op middellange termijn moest het "
        "fora en kanalen creëren tussen initiatieven en overheden, om beleidsinstrumenten te "
        "ontwikkelen die zulke projecten vergemakkelijken: toegang tot grond, aangepaste "
        "stedenbouwkundige regels, financiering en begeleiding van bewonersgroepen die samen "
        "een woonproject willen opzetten.",
        "Een woning moet voldoen aan de elementaire vereisten van veiligheid, gezondheid en "
        "uitrusting. Dat betekent onder meer dat er geen vochtproblemen mogen zijn die de "
        "gezondheid bedreigen, dat de elektrische installatie veilig is en dat er voldoende "
        "natuurlijk licht en verluchting is. Voldoet de woning daar niet aan, dan kan de huurder "
        "de verhuurder eerst schriftelijk vragen om de gebreken te herstellen. Blijft dat zonder "
        "gevolg, dan kan hij een klacht indienen bij de gewestelijke inspectiedienst, die een "
        "onderzoek ter plaatse doet. De vrederechter kan de verhuurder verplichten de werken uit "
        "te voeren, de huur verminderen of de huurovereenkomst ontbinden. De huurder mag de huur "
        "niet zomaar zelf inhouden.",
    ],
    "fr": [
        "Le bail de résidence principale est conclu pour une durée de neuf ans. Le locataire "
        "peut y mettre fin à tout moment, moyennant un préavis de trois mois. Durant les trois "
        "premières années, il doit toutefois verser une indemnité équivalant à trois, deux ou "
        "un mois de loyer selon qu'il quitte le logement au cours de la première, de la deuxième "
        "ou de la troisième année. Le préavis prend cours le premier jour du mois qui suit celui "
        "durant lequel il a été donné. Le bailleur peut lui aussi mettre fin au bail dans certains "
        "cas, par exemple pour occuper personnellement le bien, moyennant un préavis de six mois, "
        "à condition que l'occupation soit effective dans l'année et dure au moins deux ans.",
        "La garantie locative ne peut dépasser deux mois de loyer lorsqu'elle est placée sur un "
        "compte individualisé ouvert au nom du locataire. Les intérêts produits sont capitalisés "
        "au profit de celui-ci. Le locataire peut aussi constituer la garantie de manière "
        "progressive auprès de sa banque, à concurrence de trois mois de loyer au maximum, ou "
        "recourir à une garantie fournie par le CPAS. À la fin du bail, la garantie est libérée "
        "sur production d'un accord écrit des deux parties ou d'une décision de justice. Un état "
        "des lieux de sortie, établi contradictoirement, permet de constater les éventuels dégâts "
        "locatifs qui peuvent être déduits du montant restitué au locataire.",
        "Le propriétaire est tenu d'entretenir le bien loué en état de servir à l'usage pour "
        "lequel il a été loué. Les grosses réparations, comme la toiture, les murs porteurs, la "
        "chaudière usée par le temps ou les canalisations encastrées, sont à sa charge. Le "
        "locataire assume les réparations locatives et l'entretien courant : le détartrage de la "
        "chaudière, le remplacement des joints, le ramonage des cheminées, l'entretien du jardin "
        "et la réparation des dégâts qu'il a lui-même causés. Aucune clause du bail ne peut mettre "
        "à charge du locataire les réparations dues à la vétusté, à un vice du bâtiment ou à un "
        "cas "
        "de force majeure. En cas de désaccord, le juge de paix tranche le litige.",
        "Pour obtenir un logement social en Région de Bruxelles-Capitale, il faut introduire une "
        "demande d'inscription auprès d'une société immobilière de service public. Les revenus du "
        "ménage ne peuvent dépasser un plafond fixé chaque année, et aucun membre du ménage ne "
        "peut être propriétaire d'un bien immobilier. La demande reçoit un numéro d'ordre et doit "
        "être renouvelée chaque année, faute de quoi elle est radiée. Des points de priorité sont "
        "accordés selon la situation du ménage, par exemple en cas d'insalubrité du logement "
        "actuel ou de handicap. Le loyer d'un logement social est calculé en fonction des revenus "
        "du ménage et de la valeur du bien, ce qui le rend souvent bien inférieur au marché.",
    ],
    "en": [
        "A residential lease for a main residence normally runs for nine years. The tenant may "
        "end it at any time by giving three months' notice, but during the first three years a "
        "compensation of three, two or one month's rent is due, depending on the year in which "
        "the tenant leaves. Notice is given by registered letter, by bailiff's writ or by handing "
        "over a letter against a receipt. It starts on the first day of the month following the "
        "month in which it was given. The landlord can also end the lease in specific cases, for "
        "instance to live in the property, with six months' notice, provided the landlord or a "
        "close relative actually moves in within a year and stays there for at least two years.",
        "The rent can only be indexed once a year, on the anniversary of the lease, and only if "
        "the lease is in writing. The new rent is calculated with the health index: the base rent "
        "is multiplied by the index of the month before the anniversary and divided by the index "
        "of the month before the lease was signed. Indexation is not automatic: the landlord must "
        "ask for it in writing, and may recover at most the three months before the request. "
        "Apart from indexation, the rent can be revised at the end of each three-year period if "
        "both parties agree, or by the justice of the peace when the rental value has risen by at "
        "least twenty percent because of new circumstances or works carried out by the landlord.",
        "When a rented home is sold, the lease does not end. If the lease was registered, or "
        "had a fixed date before the sale, the buyer steps into the rights and obligations of "
        "the former landlord and must respect the remaining term. The buyer may still end the "
        "lease under the same conditions as the former landlord, for example to move in, with six "
        "months' notice. If the lease was not registered and the tenant has lived in the home for "
        "less than six months, the buyer can end it without notice period or compensation. This is "
        "one of the reasons why registering the lease, which is free of charge, protects tenants. "
        "The deposit follows the lease and remains available to the tenant when it ends.",
        "If your home is damp, unsafe or lacks basic equipment, start by writing to your landlord "
        "and keep a copy of the letter with photos of the defects. Many municipalities and tenant "
        "unions offer free advice and can help you draft the letter. If nothing is done, you can "
        "file a complaint with the regional housing inspection, which visits the property and can "
        "order repairs, impose fines or declare the home unfit for habitation. The justice of the "
        "peace can also reduce the rent, order the works or dissolve the lease. Do not stop paying "
        "rent on your own initiative: this can give the landlord grounds to end the lease. Social "
        "services can help you find temporary housing if the home has to be left.",
    ],
}


def check_texts() -> list[dict[str, str]]:
    """The verification texts of both int8 engines (NL/FR/EN queries, sentences, passages)."""
    texts = []
    for prompt, groups in (
        ("query", _CHECK_QUERIES),
        ("passage", _CHECK_SENTENCES),
        ("passage", _CHECK_PASSAGES),
    ):
        for lang, items in groups.items():
            texts += [{"lang": lang, "prompt": prompt, "text": text} for text in items]
    return texts


# ---------------------------------------------------------------- build


def _export_fp32(model_dir: Path, dst: Path) -> None:
    """torch.onnx (TorchScript exporter, opset 17) of the BertModel: ids + mask -> hidden states."""
    import torch
    from transformers import AutoModel

    class _Encoder(torch.nn.Module):
        def __init__(self, bert: torch.nn.Module) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    bert = AutoModel.from_pretrained(
        str(model_dir), local_files_only=True, attn_implementation="eager"
    )
    encoder = _Encoder(bert).eval()
    input_ids = torch.tensor([[0, 6, 1000, 2000, 3000, 2], [0, 5, 6, 2, PAD_ID, PAD_ID]])
    export_fp32(encoder, input_ids, PAD_ID, dst, "last_hidden_state",
                {0: "batch", 1: "sequence"})


def _fuse(src: Path, dst: Path) -> dict[str, int]:
    """onnxruntime's BERT fusions; returns the fused operator counts (checked to be complete)."""
    import logging

    from onnxruntime.transformers.optimizer import optimize_model

    logging.getLogger("onnxruntime.transformers").setLevel(logging.ERROR)
    model = optimize_model(str(src), model_type="bert", num_heads=NUM_HEADS, hidden_size=DIM)
    stats = {k: int(v) for k, v in model.get_fused_operator_statistics().items() if v}
    expected = {"EmbedLayerNormalization": 1, "Attention": 12, "SkipLayerNormalization": 24}
    for op, count in expected.items():
        if stats.get(op, 0) != count:
            raise ModelNotPreparedError(
                f"The ONNX graph of {MODEL_NAME} did not fuse as expected ({stats}); "
                "nothing was installed."
            )
    model.save_model_to_file(str(dst))
    return stats


def _isolate_special_rows(src: Path, dst: Path) -> int:
    """Takes the special rows out of the int8 range of each FFN MatMul (see the module doc).

    For X [batch, width, K] @ W [K, N]:  Xf = X as [rows, K];  S = Xf[special];
    Y = scatter(MatMul(Xf with special rows zeroed, W), special, MatMul(S, W)): both MatMuls
    share W and are quantized later, each with its own dynamic activation range.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    weights = {init.name: init for init in graph.initializer}
    graph.input.append(helper.make_tensor_value_info(SPECIAL_ROWS, TensorProto.INT64, ["rows"]))
    graph.initializer.append(numpy_helper.from_array(np.array([1], np.int64), "sr/axis1"))
    nodes = [
        helper.make_node("Unsqueeze", [SPECIAL_ROWS, "sr/axis1"], ["sr/index"], name="sr/index"),
        helper.make_node("Shape", ["input_ids"], ["sr/batch_width"], name="sr/batch_width"),
    ]
    isolated = 0
    for node in graph.node:
        if not (node.op_type == "MatMul" and _ISOLATED.search(node.name)):
            nodes.append(node)
            continue
        x, w = node.input
        k, n = numpy_helper.to_array(weights[w]).shape
        p = f"{node.name}/sr/"
        graph.initializer.extend(
            [
                numpy_helper.from_array(np.array([-1, k], np.int64), p + "flat"),
                numpy_helper.from_array(np.array([n], np.int64), p + "n"),
                numpy_helper.from_array(np.array(0, np.float32), p + "zero"),
            ]
        )
        nodes += [
            helper.make_node("Reshape", [x, p + "flat"], [p + "x"], name=p + "x"),
            helper.make_node("Gather", [p + "x", SPECIAL_ROWS], [p + "xs"], name=p + "xs", axis=0),
            helper.make_node("Mul", [p + "xs", p + "zero"], [p + "zeros"], name=p + "zeros"),
            helper.make_node(
                "ScatterND", [p + "x", "sr/index", p + "zeros"], [p + "xz"], name=p + "xz"
            ),
            helper.make_node("MatMul", [p + "xz", w], [p + "yq"], name=node.name),
            helper.make_node("MatMul", [p + "xs", w], [p + "ys"], name=p + "special/MatMul"),
            helper.make_node(
                "ScatterND", [p + "yq", "sr/index", p + "ys"], [p + "y"], name=p + "y"
            ),
            helper.make_node(
                "Concat", ["sr/batch_width", p + "n"], [p + "shape"], name=p + "shape", axis=0
            ),
            helper.make_node("Reshape", [p + "y", p + "shape"], list(node.output), name=p + "out"),
        ]
        isolated += 1
    if isolated != 24:
        raise ModelNotPreparedError(
            f"Expected 24 FFN matrices in the ONNX graph of {MODEL_NAME}, found {isolated}; "
            "nothing was installed."
        )
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))
    return isolated


def _quantize(src: Path, dst: Path) -> None:
    """int8 dynamic quantization of every MatMul and Attention (nothing is kept in float32)."""
    import logging

    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer logs "please run pre-processing" on the root
    try:
        quantize_dynamic(
            str(src),
            str(dst),
            per_channel=True,
            reduce_range=True,
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul", "Attention"],
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)


def _to_int8(fp32: Path, work: Path, dst: Path) -> dict[str, Any]:
    """Fuses `fp32`, isolates the special rows, quantizes into `dst`; the marker's fields."""
    log("Fusing attention, LayerNorm and GELU (onnxruntime transformer optimizer)...")
    fused = _fuse(fp32, work / "fused.onnx")
    fp32.unlink()
    _isolate_special_rows(work / "fused.onnx", work / "isolated.onnx")
    (work / "fused.onnx").unlink()
    log(f"Quantizing to int8 ({_QUANTIZATION})...")
    _quantize(work / "isolated.onnx", dst)
    return {"fused_operators": fused}


def _verify(folder: Path, model_dir: Path) -> list[dict[str, Any]]:
    """Cosine of every check text against the fp32 sentence-transformers model; raises if low."""
    from assistant.ingest.embedding import SentenceTransformerEmbedder

    return compare_with_fp32(OnnxEmbedder(folder), SentenceTransformerEmbedder(model_dir),
                             check_texts(), MIN_COSINE, MODEL_NAME)


def prepare_onnx(cache_dir: Path, *, force: bool = False) -> Path:
    """Build, verify and install the int8 folder once; later calls return it at once."""
    from assistant.ingest.model_prep import prepare_model

    return prepare_int8(OnnxEmbedder, cache_dir, force=force, fp32_dir=prepare_model,
                        export=_export_fp32, to_int8=_to_int8, verify=_verify,
                        quantization=_QUANTIZATION,
                        tools=("torch", "onnx", "onnxruntime", "tokenizers"))


def main(argv: Sequence[str] | None = None) -> int:
    return build_main(argv, OnnxEmbedder, prepare_onnx)


if __name__ == "__main__":
    sys.exit(main())
