"""Search the students within the budget on ``texts_fit`` (the labeled texts, and after distillation the
teacher's pseudo-labeled ones too); score the best on the test texts."""

# %% [context]
from .context import STEPS, _report, fit_student, labels_fit, texts_fit

# isort: split
# %% [parameters]
STAGE = "student alone"
FAMILIES = ["tfidf_linear", "bag_of_embeddings"]
VOCABULARY = {"tfidf_linear": 20000, "bag_of_embeddings": 20000}
SEARCH_SECONDS = 60.0

# %% Train the best student within the budget on texts_fit (the labeled texts alone, or with the teacher's
# pseudo-labeled ones after distillation), and score it on the test texts.
STEPS = [s for s in STEPS if s["step"] != STAGE]  # a re-run replaces its own row
model, ranked, accuracy = fit_student(texts_fit, labels_fit, STAGE, SEARCH_SECONDS)
print(f"{STAGE}: {model.family} {model.params}, {model.parameters:,} parameters, test accuracy {accuracy:.4f}")
_report(stage=STAGE, family=model.family, params=model.params, parameters=model.parameters,
        test_accuracy=accuracy, cv_accuracy=ranked[0]["cv_accuracy"], trials=len(ranked),
        training_texts=len(texts_fit))
