"""The JSON bodies of the HTTP service, as pydantic models (they are the OpenAPI schema).

What it holds: one request model per route, the response models that document the answers,
and :class:`ErrorBody`, the one shape of every error (``{"error": code, "detail": text}``).
Limits fixed in code (a word's type, ``k >= 1``) are in the schema; the limits an operator
sets at startup (batch size, text length, k's maximum) are checked by ``serve.app`` and
answered with an error that names the limit. No field is ever read as a path.
What it leaves out: the routes (``serve.app``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AnalogyRequest",
    "ClassifyRequest",
    "EncodeRequest",
    "ErrorBody",
    "MapRequest",
    "ReloadRequest",
    "SearchRequest",
    "SimilarRequest",
    "SimilarityRequest",
    "TagRequest",
    "VectorsRequest",
]

ModelName = Annotated[str | None, Field(
    default=None, min_length=1, max_length=200,
    description="the name of a loaded model (GET /models); default: the only one of its kind")]
Finite = Annotated[float, Field(allow_inf_nan=False)]
K = Annotated[int, Field(ge=1, description="how many answers (at most the server's --max-k)")]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    """Every error: a short code (``batch_too_large``) and a sentence saying what to change."""

    error: str
    detail: str


class VectorsRequest(_Request):
    words: list[str] = Field(min_length=1, description="words to look up")
    model: ModelName = None


class SimilarRequest(_Request):
    word: str | None = Field(default=None, min_length=1, description="a query word")
    vector: list[Finite] | None = Field(default=None, min_length=1,
                                        description="or a query vector of the model's dim")
    k: K = 10
    use_index: bool = Field(default=True, description="answer through the word index built "
                                                      "over the vectors, when one is loaded")
    model: ModelName = None

    @model_validator(mode="after")
    def _one_query(self) -> SimilarRequest:
        if (self.word is None) == (self.vector is None):
            raise ValueError("give exactly one of 'word' and 'vector'")
        return self


class AnalogyRequest(_Request):
    a: str = Field(min_length=1, description="a is to b ...")
    b: str = Field(min_length=1, description="... as c is to ?")
    c: str = Field(min_length=1)
    k: K = 5
    method: Literal["3cosadd", "3cosmul"] = "3cosadd"
    model: ModelName = None


class MapRequest(_Request):
    words: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list, description="words to place by name")
    neighbours_of: str | None = Field(default=None, min_length=1,
                                      description="a word to place with its topn neighbours")
    topn: K = 10
    top: int | None = Field(default=None, ge=1, description="the first N words of the "
                                                            "vocabulary (most frequent first)")
    method: Literal["pca", "umap"] = Field(default="pca", description="the projection; 'umap' "
                                           "needs umap-learn on the server (GET /models)")
    model: ModelName = None

    @model_validator(mode="after")
    def _some_words(self) -> MapRequest:
        if not self.words and self.neighbours_of is None and self.top is None:
            raise ValueError("give 'words', 'neighbours_of' or 'top' (or several)")
        return self


class SimilarityRequest(_Request):
    pairs: list[Annotated[list[str], Field(min_length=2, max_length=2)]] = Field(
        min_length=1, description="word pairs [a, b]")
    model: ModelName = None


class EncodeRequest(_Request):
    texts: list[str] = Field(min_length=1)
    model: ModelName = None


class SearchRequest(_Request):
    texts: list[str] = Field(min_length=1, description="query texts")
    k: K = 10
    model: ModelName = Field(default=None, min_length=1, max_length=200,
                             description="an index of texts; default: the only one loaded")


class ClassifyRequest(_Request):
    texts: list[str] = Field(min_length=1)
    model: ModelName = None


class TagRequest(_Request):
    sentences: list[list[str]] | None = Field(default=None, min_length=1,
                                              description="tokenized sentences")
    texts: list[str] | None = Field(default=None, min_length=1,
                                    description="or texts, split on whitespace")
    model: ModelName = None

    @model_validator(mode="after")
    def _one_input(self) -> TagRequest:
        if (self.sentences is None) == (self.texts is None):
            raise ValueError("give exactly one of 'sentences' and 'texts'")
        return self


class ReloadRequest(_Request):
    model: ModelName = Field(default=None, min_length=1, max_length=200,
                             description="the model to read again; default: every model")


# --- responses (documentation; the routes build the JSON themselves) -----------------------

class WordVector(BaseModel):
    word: str
    vector: list[float] | None
    oov: bool


class VectorsResponse(BaseModel):
    model: str
    dim: int
    oov_policy: Literal["null", "compose"]
    vectors: list[WordVector]


class Neighbour(BaseModel):
    word: str
    score: float | None


class NeighboursResponse(BaseModel):
    model: str
    via: Literal["exact", "index"]
    neighbours: list[Neighbour]


class PairSimilarity(BaseModel):
    a: str
    b: str
    similarity: float | None
    oov: list[str]


class SimilarityResponse(BaseModel):
    model: str
    oov_policy: Literal["null", "compose"]
    similarities: list[PairSimilarity]


class EncodeResponse(BaseModel):
    model: str
    dim: int
    vectors: list[list[float | None]]


class Hit(BaseModel):
    id: int | str
    score: float | None
    text: str | None = None


class SearchResponse(BaseModel):
    model: str
    results: list[list[Hit]]


class Classified(BaseModel):
    label: str
    probabilities: dict[str, float | None]


class ClassifyResponse(BaseModel):
    model: str
    results: list[Classified]


class Tagged(BaseModel):
    tokens: list[str]
    tags: list[str]


class TagResponse(BaseModel):
    model: str
    results: list[Tagged]


class MapPoint(BaseModel):
    word: str
    x: float | None
    y: float | None
    group: str = Field(description="the word whose neighbour this is; '' for words asked for "
                                   "by name or rank")


class MapResponse(BaseModel):
    model: str
    method: Literal["pca", "umap"]
    points: list[MapPoint]


class ModelsResponse(BaseModel):
    models: list[dict[str, Any]]
    map_methods: list[str] = Field(default_factory=list, description="the projections POST "
                                   "/map offers ('umap' when umap-learn is installed); empty "
                                   "without a vectors model")


class ReloadResponse(BaseModel):
    reloaded: list[dict[str, Any]]
