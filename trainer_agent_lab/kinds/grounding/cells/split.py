"""Split the queries by image into training, validation and test parts; tokenize the queries."""

# %% [context]
import re

import numpy as np

from .context import IMAGES, QUERIES, SEED, _report

# %% [parameters]
TEST_SIZE = 0.2
VAL_SIZE = 0.1
MAX_LENGTH = 16

# %% Split by image (the queries of one image stay in one part, so the test images are new to the network), and
# build the tokenizer from the training queries: lower-case words (each Chinese character is a word), ids by
# frequency, 0 for padding and 1 for a word it never saw. A query becomes MAX_TOKENS ids, padded on the left.
rng = np.random.default_rng(SEED)
image_ids = rng.permutation(np.unique(QUERIES["image"]))
n_test = max(1, round(TEST_SIZE * len(image_ids)))
n_val = max(1, round(VAL_SIZE * len(image_ids)))
part = {int(i): "test" for i in image_ids[:n_test]} | {int(i): "val" for i in image_ids[n_test:n_test + n_val]}
QUERIES["part"] = [part.get(int(i), "train") for i in QUERIES["image"]]
if (QUERIES["part"] == "train").sum() == 0:
    raise ValueError(f"Too few images ({len(image_ids)}) to split into training, validation and test parts")


WORD_PATTERN = r"[a-z0-9]+|[^\x00-\x7f\s，。、！？]"


def words_of(text):
    return re.findall(WORD_PATTERN, str(text).lower())


train_words = [words_of(q) for q in QUERIES.loc[QUERIES["part"] == "train", "query"]]
frequency = {}
for query_words in train_words:
    for word in query_words:
        frequency[word] = frequency.get(word, 0) + 1
VOCAB = {"<pad>": 0, "<unk>": 1} | {w: i + 2 for i, (w, _) in enumerate(sorted(frequency.items(),
                                                                             key=lambda kv: (-kv[1], kv[0])))}
MAX_TOKENS = int(min(MAX_LENGTH, max(len(w) for w in train_words)))


def tokenize(text):
    """The token ids of a query: MAX_TOKENS int64, padded with 0 on the left, unknown words 1."""
    ids = [VOCAB.get(w, 1) for w in words_of(text)][:MAX_TOKENS]
    return np.array([0] * (MAX_TOKENS - len(ids)) + ids, dtype=np.int64)


# %% The inputs of each part as one structured array (fields `pixels`, the raw image, and `tokens`, the query's ids)
# and the boxes to predict, [x0, y0, x1, y1] in pixels.
ITEM = np.dtype([("pixels", np.float32, IMAGES.shape[1:]), ("tokens", np.int64, (MAX_TOKENS,))])


def items_of(rows):
    items = np.zeros(len(rows), dtype=ITEM)
    items["pixels"] = IMAGES[rows["image"].to_numpy()]
    items["tokens"] = np.stack([tokenize(q) for q in rows["query"]]) if len(rows) else 0
    return items, rows[["x0", "y0", "x1", "y1"]].to_numpy(dtype=np.float32)


parts = {name: QUERIES[QUERIES["part"] == name].reset_index(drop=True) for name in ("train", "val", "test")}
(X_train, Y_train), (X_val, Y_val), (X_test, Y_test) = (items_of(parts[n]) for n in ("train", "val", "test"))
Q_test = parts["test"]
unknown = float(np.mean([(tokenize(q) == 1).any() for q in Q_test["query"]])) if len(Q_test) else 0.0
print(f"{len(X_train):,} training, {len(X_val):,} validation and {len(X_test):,} test queries (by image); "
      f"vocabulary of {len(VOCAB) - 2} words, queries of at most {MAX_TOKENS} tokens; {unknown:.1%} of the test "
      "queries have a word the training queries lack")
_report(n_train=len(X_train), n_val=len(X_val), n_test=len(X_test), vocabulary=len(VOCAB), max_tokens=MAX_TOKENS,
        side=int(IMAGES.shape[-1]), unknown_test_share=unknown)
